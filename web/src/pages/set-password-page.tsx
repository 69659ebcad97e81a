import { Button, PasswordInput, Stack } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { AuthCard } from '../components/auth-card.tsx';
import { ErrorAlert } from '../components/error-alert.tsx';
import { api } from '../hooks/api.ts';
import { sessionKeys } from '../hooks/use-session.ts';
import { navigate } from '../router/navigation.ts';

/** The invitation link: the token travels in the fragment, which browsers never send to a server or a referrer. */
function tokenFromFragment(): string {
  return new URLSearchParams(window.location.hash.slice(1)).get('token') ?? '';
}

export function SetPasswordPage() {
  // Mantine 9's PasswordInput ties its label to the input only with an explicit id.
  const passwordId = useId();
  const queryClient = useQueryClient();
  const [token] = useState(tokenFromFragment);
  const [password, setPassword] = useState('');
  const setPasswordMutation = useMutation({
    mutationFn: api.setPassword,
    onSuccess: async () => {
      window.history.replaceState(null, '', '/set-password');
      // Drop the signed-out answer cached before, so the workspace frame asks again.
      queryClient.removeQueries({ queryKey: sessionKeys.me });
      navigate('/');
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setPasswordMutation.mutate({ token, password });
  };
  return (
    <AuthCard title="Choose a password" subtitle="You were invited to a Flightdeck workspace.">
      {token === '' ? (
        <ErrorAlert
          title="No invitation token"
          error="Open the complete link from your invitation; it ends with #token=…"
        />
      ) : (
        <form onSubmit={submit}>
          <Stack>
            <PasswordInput
              id={passwordId}
              label="New password"
              description="At least 12 characters."
              required
              autoComplete="new-password"
              value={password}
              onChange={(event) => setPassword(event.currentTarget.value)}
            />
            <ErrorAlert error={setPasswordMutation.error} title="Could not set the password" />
            <Button type="submit" loading={setPasswordMutation.isPending}>
              Set password and sign in
            </Button>
          </Stack>
        </form>
      )}
    </AuthCard>
  );
}
