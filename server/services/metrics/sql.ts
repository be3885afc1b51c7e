/**
 * The metric writer's SQL, as text with `?` placeholders, the same on SQLite and PostgreSQL (the
 * PostgreSQL driver numbers the placeholders).
 */
export interface Sql {
  text: string;
  params: unknown[];
}
