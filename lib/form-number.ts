/**
 * A form's or a CLI flag's text as a number for the API's strict schemas, which take numbers
 * only. Blank and non-numeric text become NaN, which the schema refuses as "Must be a number"
 * rather than reading it as 0.
 */
export function formNumber(text: string): number {
  return text.trim() === "" ? NaN : Number(text);
}

/** "true"/"false" from a select as a boolean; anything else is passed on for the schema to refuse. */
export function formBoolean(text: string): boolean | string {
  return text === "true" ? true : text === "false" ? false : text;
}
