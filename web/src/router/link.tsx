import { Anchor, type AnchorProps } from '@mantine/core';
import type { MouseEvent, ReactNode } from 'react';
import { navigate } from './navigation.ts';

/** An anchor that navigates in place on a plain click and behaves like a link otherwise (new tab, copy). */
export function Link(props: AnchorProps & { href: string; children: ReactNode; 'data-testid'?: string }) {
  const { href, ...rest } = props;
  const onClick = (event: MouseEvent<HTMLAnchorElement>) => {
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    navigate(href);
  };
  return <Anchor component="a" href={href} onClick={onClick} {...rest} />;
}
