import { Button, Stack, Text, TextInput } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { AuthCard } from '../components/auth-card.tsx';
import { ErrorAlert } from '../components/error-alert.tsx';
import { api } from '../hooks/api.ts';

/** `/reset-password`: asks for a reset link by email; the answer is the same whether the address has an account. */
export function ResetPasswordPage() {
  const [email, setEmail] = useState('');
  const reset = useMutation({ mutationFn: api.requestPasswordReset });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    reset.mutate({ email });
  };
  return (
    <AuthCard title="Reset your password" subtitle="We email a link to choose a new password.">
      {reset.isSuccess ? (
        <Text>If {email} has an account, a link is on its way. It works once, for an hour.</Text>
      ) : (
        <form onSubmit={submit}>
          <Stack>
            <TextInput
              label="Email"
              type="email"
              required
              autoComplete="email"
              value={email}
              onChange={(event) => setEmail(event.currentTarget.value)}
            />
            <ErrorAlert error={reset.error} title="Could not send a reset link" />
            <Button type="submit" loading={reset.isPending}>
              Email me a link
            </Button>
          </Stack>
        </form>
      )}
    </AuthCard>
  );
}
