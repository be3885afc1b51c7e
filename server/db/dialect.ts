import { Prisma, providerOfDb, type Db } from "./db";

/**
 * The few SQL fragments that differ between SQLite and PostgreSQL; the rest of our raw SQL is
 * written once in the subset both speak (quoted identifiers, CAST rather than ::, no bare subquery
 * without an alias, bigint and numeric results read through Number()).
 */

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Rows whose text column starts with a literal prefix. SQLite compares bytes, so a range serves
 * it from an index on the column; PostgreSQL may sort text by a locale that ignores punctuation,
 * where that range would be wrong, and LIKE matches the bytes there.
 */
export function startsWith(db: Db, column: string, prefix: string): Prisma.Sql {
  if (!/^[\w/]+$/.test(prefix) || prefix.includes("_")) throw new Error(`startsWith: unsupported prefix ${prefix}`);
  if (providerOfDb(db) === "postgresql") return Prisma.sql`${Prisma.raw(column)} LIKE ${`${prefix}%`}`;
  const next = prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
  return Prisma.sql`${Prisma.raw(column)} >= ${prefix} AND ${Prisma.raw(column)} < ${next}`;
}

/** The text at a path of object keys in a column that holds JSON text. */
export function jsonText(db: Db, column: string, keys: string[]): Prisma.Sql {
  if (!keys.every((k) => NAME.test(k))) throw new Error(`jsonText: unsupported key in ${keys.join(".")}`);
  if (providerOfDb(db) === "postgresql") return Prisma.raw(`(${column}::jsonb #>> '{${keys.join(",")}}')`);
  return Prisma.raw(`json_extract(${column}, '$.${keys.join(".")}')`);
}
