import { json } from '@codemirror/lang-json';
import { EditorState, type Extension } from '@codemirror/state';
import {
  Decoration,
  EditorView,
  MatchDecorator,
  placeholder as placeholderText,
  ViewPlugin,
  type ViewUpdate,
} from '@codemirror/view';
import { Input } from '@mantine/core';
import { basicSetup } from 'codemirror';
import { useEffect, useId, useRef } from 'react';

/** Marks `{{ input.… }}` placeholders so template variables stand out in prompts. */
const templateVariableMarks = ViewPlugin.fromClass(
  class {
    decorations;
    decorator = new MatchDecorator({
      regexp: /\{\{[^{}]*\}\}/g,
      decoration: Decoration.mark({ class: 'cm-template-variable' }),
    });
    constructor(view: EditorView) {
      this.decorations = this.decorator.createDeco(view);
    }
    update(update: ViewUpdate) {
      this.decorations = this.decorator.updateDeco(update, this.decorations);
    }
  },
  { decorations: (plugin) => plugin.decorations },
);

const editorTheme = EditorView.theme({
  '&': { fontSize: '13px', border: '1px solid var(--mantine-color-gray-4)', borderRadius: '6px' },
  '&.cm-focused': { outline: '2px solid var(--mantine-color-indigo-4)' },
  '.cm-scroller': {
    fontFamily: 'var(--mantine-font-family-monospace)',
    minHeight: 'var(--editor-min-height)',
  },
  '.cm-template-variable': {
    backgroundColor: 'var(--mantine-color-indigo-1)',
    color: 'var(--mantine-color-indigo-9)',
    borderRadius: '3px',
  },
});

/**
 * A CodeMirror 6 editor as a controlled field. The view is created once; outside changes to
 * `value` (loading another version) replace the document without recreating the editor.
 */
export function CodeEditor(props: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  language?: 'json' | 'template';
  description?: string;
  error?: string | null;
  minHeight?: number;
  placeholder?: string;
  testId?: string;
}) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const onChange = useRef(props.onChange);
  onChange.current = props.onChange;
  const labelId = useId();

  // biome-ignore lint/correctness/useExhaustiveDependencies: the editor is created once per mount
  useEffect(() => {
    if (!host.current) return;
    const extensions: Extension[] = [
      basicSetup,
      editorTheme,
      EditorView.lineWrapping,
      EditorView.contentAttributes.of({ 'aria-labelledby': labelId }),
      EditorView.updateListener.of((update) => {
        if (update.docChanged) onChange.current(update.state.doc.toString());
      }),
      props.language === 'json' ? json() : templateVariableMarks,
    ];
    if (props.placeholder) extensions.push(placeholderText(props.placeholder));
    view.current = new EditorView({
      parent: host.current,
      state: EditorState.create({ doc: props.value, extensions }),
    });
    return () => view.current?.destroy();
  }, []);

  useEffect(() => {
    const current = view.current;
    if (current && current.state.doc.toString() !== props.value) {
      current.dispatch({ changes: { from: 0, to: current.state.doc.length, insert: props.value } });
    }
  }, [props.value]);

  return (
    <Input.Wrapper
      label={props.label}
      description={props.description}
      error={props.error}
      labelProps={{ id: labelId }}
    >
      <div
        ref={host}
        data-testid={props.testId}
        style={{ '--editor-min-height': `${props.minHeight ?? 80}px` } as React.CSSProperties}
      />
    </Input.Wrapper>
  );
}
