import { Anchor, Button, PasswordInput, Stack, TextInput } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { fieldErrorsOf } from '../api/field-errors.ts';
import { AuthCard } from '../components/auth-card.tsx';
import { ErrorAlert } from '../components/error-alert.tsx';
import { api } from '../hooks/api.ts';
import { sessionKeys } from '../hooks/use-session.ts';
import { navigate } from '../router/navigation.ts';

/** Only same-origin console paths are followed after sign-in, never another site. */
function nextPath(): string {
  const next = new URLSearchParams(window.location.search).get('next');
  return next?.startsWith('/w/') || next === '/invitations' ? next : '/';
}

export function LoginPage() {
  // Mantine 9's PasswordInput ties its label to the input only with an explicit id.
  const passwordId = useId();
  const queryClient = useQueryClient();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const login = useMutation({
    mutationFn: api.login,
    onSuccess: async () => {
      // Drop the signed-out answer cached before, so the workspace frame asks again.
      queryClient.removeQueries({ queryKey: sessionKeys.me });
      navigate(nextPath());
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    login.mutate({ email, password });
  };
  const fieldNames = ['email', 'password'] as const;
  const errors = fieldErrorsOf(login.error, fieldNames).fields;
  return (
    <AuthCard title="Sign in" subtitle="Sign in to your Flightdeck workspace.">
      <form onSubmit={submit}>
        <Stack>
          <TextInput
            label="Email"
            type="email"
            required
            autoComplete="email"
            error={errors.email}
            value={email}
            onChange={(event) => setEmail(event.currentTarget.value)}
          />
          <PasswordInput
            id={passwordId}
            label="Password"
            required
            autoComplete="current-password"
            error={errors.password}
            value={password}
            onChange={(event) => setPassword(event.currentTarget.value)}
          />
          <ErrorAlert error={login.error} title="Sign-in failed" fields={fieldNames} />
          <Button type="submit" loading={login.isPending}>
            Sign in
          </Button>
          <Anchor href="/reset-password" size="sm">
            Forgot your password?
          </Anchor>
        </Stack>
      </form>
    </AuthCard>
  );
}
