/**
 * What the safety stage looks for. Deliberately short, professional lists: they catch the bulk
 * of explicit-content spam, threats, self-harm encouragement and personal identifiers, and are
 * meant to be read and extended, not to be complete. Weights are per hit; a rule that mostly
 * fires on harmless text (a phone number) weighs little, an unambiguous one (an SSN, "kill
 * yourself") weighs a lot.
 */

export type SafetyCategory = "sexual" | "threat" | "self-harm" | "pii";

export interface SafetyRule {
  category: SafetyCategory;
  label: string;
  weight: number;
  /** Global, case-insensitive. */
  pattern: RegExp;
  /** Further check on each match (e.g. the Luhn checksum), to cut false positives. */
  verify?: (match: string) => boolean;
}

const words = (...alternatives: string[]) => new RegExp(`\\b(?:${alternatives.join("|")})\\b`, "gi");

/** The Luhn checksum that every payment card number satisfies. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1 && (d *= 2) > 9) d -= 9;
    sum += d;
  }
  return digits.length > 0 && sum % 10 === 0;
}

/**
 * 13–19 digits starting like a card network (3 Amex/Diners, 4 Visa, 5 Mastercard, 6 Discover)
 * and Luhn-valid. Published test numbers (4111 1111 1111 1111, 5555 5555 5555 4444, …) repeat one
 * digit eight or more times, which real numbers almost never do; they are not personal data.
 */
function cardLike(match: string): boolean {
  const digits = match.replace(/[ -]/g, "");
  if (digits.length < 13 || digits.length > 19 || !/^[3-6]/.test(digits)) return false;
  const most = Math.max(...[..."0123456789"].map((d) => digits.split(d).length - 1));
  return most < 8 && luhnValid(digits);
}

/** Toll-free numbers (800, 888, …) belong to businesses, not people. */
const personalPhone = (match: string) => !/^(?:\+?1[-. ]?)?\(?8(?:00|33|44|55|66|77|88)\)?/.test(match.trim());

export const SAFETY_RULES: SafetyRule[] = [
  // Explicit sexual content. Words that reviews and reports also use ("porn", "horny") weigh
  // less than advertising phrases, so one mention in a page of prose stays below the threshold.
  // Not "xxx": it is a placeholder in code comments and redacted names.
  { category: "sexual", label: "porn", weight: 0.75, pattern: words("porn", "porno") },
  { category: "sexual", label: "explicit-term", weight: 0.75, pattern: words("horny", "masturbat(?:e|es|ing|ion)") },
  { category: "sexual", label: "explicit-ad", weight: 2, pattern: words("blowjobs?", "cumshots?", "gangbangs?", "sex (?:videos|movies|cams?)", "live sex", "hardcore sex") },
  { category: "sexual", label: "nudity-ad", weight: 1.5, pattern: words("nude (?:pics|photos|girls|teens|celebs?)", "naked (?:girls|teens|celebs?)", "barely legal") },
  { category: "sexual", label: "adult-site", weight: 1, pattern: words("adult (?:sites?|entertainment|videos|movies)", "webcam girls") },
  // Threats of violence against someone, in the first person.
  {
    category: "threat",
    label: "threat-to-harm",
    weight: 3,
    pattern: /\b(?:i|we)(?:'ll| will|'m going to| am going to|'re going to| are going to| gonna) (?:kill|murder|shoot|stab|strangle|hurt|beat up) (?:you|him|her|them|your)\b/gi,
  },
  { category: "threat", label: "threat-you-will-die", weight: 3, pattern: words("you(?:'re| are) (?:going to|gonna) die", "i know where you live") },
  { category: "threat", label: "bomb-threat", weight: 2, pattern: words("bomb threat", "planted a bomb", "blow up (?:the|your) (?:school|office|building|house)") },
  // Encouraging self-harm (not discussing it: "suicide" alone is not listed).
  { category: "self-harm", label: "kill-yourself", weight: 4, pattern: words("kill yourself", "kys", "go hang yourself", "you should (?:die|kill yourself|cut yourself)") },
  { category: "self-harm", label: "method-seeking", weight: 3, pattern: words("how to (?:commit suicide|kill myself)", "suicide methods?", "painless way to die") },
  // Personal identifiers (doxxing).
  { category: "pii", label: "us-ssn", weight: 3, pattern: /\b(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}\b/g },
  { category: "pii", label: "card-number", weight: 3, pattern: /\b(?:\d{13,19}|(?:\d{4}[ -]){3}\d{1,7}|\d{4}[ -]\d{6}[ -]\d{5})\b/g, verify: cardLike },
  { category: "pii", label: "phone-number", weight: 0.2, pattern: /(?:\+?1[-. ]?)?\(?\b[2-9]\d{2}\)?[-. ]\d{3}[-. ]\d{4}\b/g, verify: personalPhone },
];
