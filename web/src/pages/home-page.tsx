export function HomePage(_props: { workspaceId: string }) {
  return null;
}
