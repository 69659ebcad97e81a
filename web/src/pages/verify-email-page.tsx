import { Button, Stack, Text } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { AuthCard } from '../components/auth-card.tsx';
import { ErrorAlert } from '../components/error-alert.tsx';
import { api } from '../hooks/api.ts';
import { navigate } from '../router/navigation.ts';

/** The token travels in the fragment, which browsers never send to a server or a referrer. */
function tokenFromFragment(): string {
  return new URLSearchParams(window.location.hash.slice(1)).get('token') ?? '';
}

/** `/verify-email#token=…`: confirms the address on a click (not on load, so link scanners do not use it up). */
export function VerifyEmailPage() {
  const [token] = useState(tokenFromFragment);
  const verify = useMutation({
    mutationFn: api.verifyEmail,
    onSuccess: () => window.history.replaceState(null, '', '/verify-email'),
  });
  return (
    <AuthCard title="Confirm your email address" subtitle="This proves the address on your account is yours.">
      {token === '' && !verify.isSuccess ? (
        <ErrorAlert
          title="No confirmation token"
          error="Open the complete link from the email; it ends with #token=…"
        />
      ) : verify.isSuccess ? (
        <Stack>
          <Text>{verify.data.email} is confirmed.</Text>
          <Button onClick={() => navigate('/invitations')}>See your invitations</Button>
        </Stack>
      ) : (
        <Stack>
          <ErrorAlert error={verify.error} title="Could not confirm the address" />
          <Button loading={verify.isPending} onClick={() => verify.mutate({ token })}>
            Confirm my address
          </Button>
        </Stack>
      )}
    </AuthCard>
  );
}
