import { Center, Stack, Text, Title } from '@mantine/core';
import { Link } from '../router/link.tsx';

export function NotFoundPage() {
  return (
    <Center h="80vh">
      <Stack align="center">
        <Title order={2}>Page not found</Title>
        <Text c="dimmed">This address is not part of the console.</Text>
        <Link href="/">Go to your workspace</Link>
      </Stack>
    </Center>
  );
}
