/** The provider kinds a workspace can store keys for (the mock provider needs none). */
export type KeyedProviderKind = 'openai' | 'anthropic' | 'openai-compatible';

/** A decrypted provider key, held in memory only for the duration of a call. */
export interface ProviderCredentials {
  providerKeyId: string;
  provider: KeyedProviderKind;
  apiKey: string;
  /** Null means the provider's official endpoint. */
  baseUrl: string | null;
}

/**
 * Finds and decrypts the key an agent calls with: the named key, or the workspace's default key
 * for the provider. Throws `provider_not_configured` (422) when there is none, naming the fix.
 */
export interface ProviderCredentialResolver {
  resolve(
    workspaceId: string,
    request: { provider: KeyedProviderKind; providerKeyId: string | null },
  ): Promise<ProviderCredentials>;
}
