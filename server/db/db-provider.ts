/** The databases the server runs on: SQLite (a file in DATA_DIR, the embedded default) or PostgreSQL. */
export const PROVIDERS = ["sqlite", "postgresql"] as const;
export type Provider = (typeof PROVIDERS)[number];

/** The provider a DATABASE_URL names, or null when it names neither. */
export function providerOf(url: string): Provider | null {
  if (url.startsWith("file:")) return "sqlite";
  if (/^postgres(ql)?:\/\//.test(url)) return "postgresql";
  return null;
}

/** Where each provider's rendered schema lives; its migrations sit beside it. */
export const schemaFile = (p: Provider) => `prisma/${p}/schema.prisma`;
export const migrationsDir = (p: Provider) => `prisma/${p}/migrations`;
