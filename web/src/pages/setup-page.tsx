import { Button, PasswordInput, Stack, TextInput } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useId, useState } from 'react';
import { fieldErrorsOf } from '../api/field-errors.ts';
import { AuthCard } from '../components/auth-card.tsx';
import { ErrorAlert } from '../components/error-alert.tsx';
import { api } from '../hooks/api.ts';
import { sessionKeys, useSetupStatus } from '../hooks/use-session.ts';
import { navigate } from '../router/navigation.ts';

/** First run: the owner account and the first workspace. */
export function SetupPage() {
  // Mantine 9's PasswordInput ties its label to the input only with an explicit id.
  const passwordId = useId();
  const status = useSetupStatus();
  const queryClient = useQueryClient();
  const [form, setForm] = useState({ name: '', email: '', password: '', workspaceName: '' });
  const setup = useMutation({
    mutationFn: api.setup,
    onSuccess: async (result) => {
      queryClient.setQueryData(sessionKeys.setup, { setupRequired: false });
      // Drop the signed-out answer cached before, so the workspace frame asks again.
      queryClient.removeQueries({ queryKey: sessionKeys.me });
      navigate(`/w/${result.workspace?.id ?? ''}/agents`);
    },
  });
  useEffect(() => {
    if (status.data?.setupRequired === false && !setup.isSuccess) navigate('/login', { replace: true });
  }, [status.data, setup.isSuccess]);

  const field = (name: keyof typeof form) => ({
    value: form[name],
    onChange: (event: { currentTarget: { value: string } }) => {
      // Read now: React clears currentTarget before a state updater runs.
      const value = event.currentTarget.value;
      setForm((current) => ({ ...current, [name]: value }));
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setup.mutate(form);
  };
  const fieldNames = ['name', 'email', 'password', 'workspaceName'] as const;
  const errors = fieldErrorsOf(setup.error, fieldNames, { name: 'Your name' }).fields;

  return (
    <AuthCard title="Set up Flightdeck" subtitle="Create the owner account and your first workspace.">
      <form onSubmit={submit}>
        <Stack>
          <TextInput label="Your name" required autoComplete="name" error={errors.name} {...field('name')} />
          <TextInput
            label="Email"
            type="email"
            required
            autoComplete="email"
            error={errors.email}
            {...field('email')}
          />
          <PasswordInput
            id={passwordId}
            label="Password"
            description="At least 12 characters."
            required
            autoComplete="new-password"
            error={errors.password}
            {...field('password')}
          />
          <TextInput
            label="Workspace name"
            required
            placeholder="Acme research"
            error={errors.workspaceName}
            {...field('workspaceName')}
          />
          <ErrorAlert error={setup.error} title="Setup failed" fields={fieldNames} />
          <Button type="submit" loading={setup.isPending}>
            Create owner and workspace
          </Button>
        </Stack>
      </form>
    </AuthCard>
  );
}
