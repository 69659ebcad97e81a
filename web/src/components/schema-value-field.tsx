import {
  ActionIcon,
  Button,
  Checkbox,
  Fieldset,
  Group,
  NumberInput,
  Select,
  Stack,
  TagsInput,
  Text,
  Textarea,
} from '@mantine/core';
import type { JsonSchema } from '../api/api-types.ts';
import { defaultsOf, formTypeOf } from '../lib/schema-form.ts';

type FieldProps = {
  /** The visible label and accessible name; nested fields read "parent.child". */
  label: string;
  schema: JsonSchema;
  value: unknown;
  required: boolean;
  onChange: (value: unknown) => void;
  depth: number;
};

const describe = (schema: JsonSchema) =>
  typeof schema.description === 'string' && schema.description ? schema.description : undefined;

/** One value of a schema as a form control; objects and arrays recurse. Only schemas `formSupports` accepts reach here. */
export function SchemaValueField(props: FieldProps) {
  const { schema, value, label } = props;
  const type = formTypeOf(schema);
  const common = { label, description: describe(schema), required: props.required };

  if (Array.isArray(schema.enum)) {
    const options = schema.enum.map((option) => ({ value: JSON.stringify(option), label: String(option) }));
    return (
      <Select
        {...common}
        data={options}
        clearable={!props.required}
        value={value === undefined ? null : JSON.stringify(value)}
        onChange={(next) => props.onChange(next === null ? undefined : (JSON.parse(next) as unknown))}
      />
    );
  }
  switch (type) {
    case 'number':
    case 'integer':
      return (
        <NumberInput
          {...common}
          allowDecimal={type === 'number'}
          min={typeof schema.minimum === 'number' ? schema.minimum : undefined}
          max={typeof schema.maximum === 'number' ? schema.maximum : undefined}
          value={typeof value === 'number' ? value : ''}
          onChange={(next) => props.onChange(next === '' ? undefined : Number(next))}
        />
      );
    case 'boolean':
      return (
        <Checkbox
          label={props.required ? `${label} *` : label}
          description={describe(schema)}
          checked={value === true}
          onChange={(event) => props.onChange(event.currentTarget.checked)}
        />
      );
    case 'object':
      return <ObjectFields {...props} />;
    case 'array':
      return <ArrayField {...props} />;
    default:
      return (
        <Textarea
          {...common}
          autosize
          minRows={1}
          value={typeof value === 'string' ? value : ''}
          onChange={(event) => props.onChange(event.currentTarget.value)}
        />
      );
  }
}

/** The properties of an object, each its own control; the top level has no frame of its own. */
export function ObjectFields(props: FieldProps) {
  const properties = (props.schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set(Array.isArray(props.schema.required) ? (props.schema.required as string[]) : []);
  const current = (typeof props.value === 'object' && props.value !== null ? props.value : {}) as Record<
    string,
    unknown
  >;
  const fields = Object.entries(properties).map(([name, child]) => (
    <SchemaValueField
      key={name}
      label={props.depth === 0 ? name : `${props.label}.${name}`}
      schema={child}
      value={current[name]}
      required={required.has(name)}
      depth={props.depth + 1}
      onChange={(next) => {
        const updated = { ...current, [name]: next };
        if (next === undefined) delete updated[name];
        props.onChange(updated);
      }}
    />
  ));
  if (props.depth === 0) return <>{fields}</>;
  return (
    <Fieldset legend={props.required ? `${props.label} *` : props.label} variant="filled" p="xs">
      <Stack gap="xs">
        {describe(props.schema) ? (
          <Text size="xs" c="dimmed">
            {describe(props.schema)}
          </Text>
        ) : null}
        {fields}
      </Stack>
    </Fieldset>
  );
}

/** Strings (without an enum) as tags; anything else as a list of controls with add and remove. */
function ArrayField(props: FieldProps) {
  const items = (props.schema.items ?? { type: 'string' }) as JsonSchema;
  const list = Array.isArray(props.value) ? props.value : [];
  const itemType = formTypeOf(items);
  if (itemType === 'string' && !Array.isArray(items.enum)) {
    return (
      <TagsInput
        label={props.label}
        description={describe(props.schema) ?? 'Type a value and press Enter.'}
        required={props.required}
        value={list.map(String)}
        onChange={(next) => props.onChange(next)}
      />
    );
  }
  return (
    <Fieldset legend={props.required ? `${props.label} *` : props.label} variant="filled" p="xs">
      <Stack gap="xs">
        {list.map((item, index) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: items are edited in place by position
          <Group key={index} align="flex-start" wrap="nowrap" gap="xs">
            <div style={{ flex: 1 }}>
              <SchemaValueField
                label={`${props.label}[${index}]`}
                schema={items}
                value={item}
                required
                depth={props.depth + 1}
                onChange={(next) => props.onChange(list.map((old, at) => (at === index ? next : old)))}
              />
            </div>
            <ActionIcon
              variant="subtle"
              color="red"
              mt={24}
              aria-label={`Remove ${props.label}[${index}]`}
              onClick={() => props.onChange(list.filter((_, at) => at !== index))}
            >
              ×
            </ActionIcon>
          </Group>
        ))}
        <Group>
          <Button
            size="xs"
            variant="light"
            onClick={() =>
              props.onChange([...list, defaultsOf(items) ?? (itemType === 'boolean' ? false : undefined)])
            }
          >
            Add {props.label} item
          </Button>
        </Group>
      </Stack>
    </Fieldset>
  );
}
