import type { EmailMessage } from './email-sender.ts';

/**
 * The messages Flightdeck sends. Plain text, one link each; links carry their token in the
 * fragment (`#token=`), which browsers send neither to the server nor in a Referer.
 */

export function invitationMessage(input: {
  to: string;
  workspaceName: string;
  inviterName: string;
  setPasswordUrl: string;
  token: string;
  expiresAt: Date;
}): EmailMessage {
  return {
    kind: 'invitation',
    to: input.to,
    subject: `You are invited to ${input.workspaceName} on Flightdeck`,
    text:
      `${input.inviterName} invited you to the workspace "${input.workspaceName}" on Flightdeck.\n\n` +
      `Choose your password here to join:\n${input.setPasswordUrl}\n\n` +
      `The link works once and expires on ${input.expiresAt.toISOString()}. ` +
      'If you did not expect this, ignore this message.\n',
    secrets: [input.token],
  };
}

export function pendingInvitationMessage(input: {
  to: string;
  workspaceName: string;
  inviterName: string;
  invitationsUrl: string;
}): EmailMessage {
  return {
    kind: 'pending_invitation',
    to: input.to,
    subject: `${input.inviterName} invited you to ${input.workspaceName} on Flightdeck`,
    text:
      `${input.inviterName} invited you to the workspace "${input.workspaceName}" on Flightdeck.\n\n` +
      `Sign in and accept or decline the invitation here:\n${input.invitationsUrl}\n\n` +
      'You will not be a member until you accept. No password yet? Use "Forgot your password?" on the ' +
      'sign-in page to choose one.\n',
  };
}

export function passwordResetMessage(input: {
  to: string;
  resetUrl: string;
  token: string;
  expiresAt: Date;
}): EmailMessage {
  return {
    kind: 'password_reset',
    to: input.to,
    subject: 'Reset your Flightdeck password',
    text:
      `Someone asked to reset the password of your Flightdeck account. Choose a new one here:\n${input.resetUrl}\n\n` +
      `The link works once and expires on ${input.expiresAt.toISOString()}. Setting a new password signs ` +
      'out every session of the account. If you did not ask for this, ignore this message.\n',
    secrets: [input.token],
  };
}

export function emailVerificationMessage(input: {
  to: string;
  verifyUrl: string;
  token: string;
  expiresAt: Date;
}): EmailMessage {
  return {
    kind: 'email_verification',
    to: input.to,
    subject: 'Confirm your email address for Flightdeck',
    text:
      `Open this link to confirm that this address belongs to your Flightdeck account:\n${input.verifyUrl}\n\n` +
      `The link works once and expires on ${input.expiresAt.toISOString()}.\n`,
    secrets: [input.token],
  };
}

export function alertMessage(input: {
  to: string;
  workspaceName: string;
  title: string;
  body: string;
  consoleUrl: string;
}): EmailMessage {
  return {
    kind: 'alert',
    to: input.to,
    subject: `[${input.workspaceName}] ${input.title}`,
    text: `${input.body}\n\nOpen the workspace: ${input.consoleUrl}\n`,
  };
}
