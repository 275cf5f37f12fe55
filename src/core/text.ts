/**
 * What a text input may hold: no control characters (newline and tab only in free text), well-formed
 * Unicode (no lone surrogate halves, which would be stored as U+FFFD and silently change a name), and a
 * length limit by kind of field. Text is NFC-normalised before it is checked and used, so "Nguyễn" typed
 * with combining marks and precomposed is the same name. Pure: no database, no GraphQL.
 */

export interface TextRule {
  /** Most characters (Unicode code points, after NFC). */
  max: number;
  /** Free text may hold line breaks and tabs; names and codes may not. */
  multiline: boolean;
  /** Ids may not be empty (an empty id is never a record, and would reach the database as one). */
  nonEmpty?: boolean;
}

export const TEXT_RULES = {
  name: { max: 200, multiline: false },
  code: { max: 40, multiline: false },
  freeText: { max: 2000, multiline: true },
  search: { max: 100, multiline: false },
  id: { max: 100, multiline: false, nonEmpty: true },
  /** Strings inside JSON values (rule definitions and examples). */
  json: { max: 2000, multiline: true },
  /** Any other text: legal bases, evidence, cursors. */
  other: { max: 500, multiline: false },
} satisfies Record<string, TextRule>;

/**
 * The rule of each text field or argument, by name (the same name means the same kind of value across the
 * schema). A field not listed gets `other`; an ID gets `id` whatever its name.
 */
const RULE_OF_FIELD: Record<string, TextRule> = {
  fullName: TEXT_RULES.name,
  ethnicity: TEXT_RULES.name,
  relationToHead: TEXT_RULES.name,
  code: TEXT_RULES.code,
  communeCode: TEXT_RULES.code,
  villageCode: TEXT_RULES.code,
  unitCode: TEXT_RULES.code,
  parentCode: TEXT_RULES.code,
  programCode: TEXT_RULES.code,
  classification: TEXT_RULES.code,
  nationalId: TEXT_RULES.code,
  decisionNo: TEXT_RULES.code,
  certificateNo: TEXT_RULES.code,
  category: TEXT_RULES.code,
  deprivations: TEXT_RULES.code,
  entityType: TEXT_RULES.code,
  address: TEXT_RULES.freeText,
  note: TEXT_RULES.freeText,
  reason: TEXT_RULES.freeText,
  search: TEXT_RULES.search,
};

export function textRuleOf(fieldName: string): TextRule {
  return RULE_OF_FIELD[fieldName] ?? TEXT_RULES.other;
}

// C0 controls, DEL and C1 controls (Unicode's Cc category: U+0000–U+001F, U+007F–U+009F); newline and tab are
// let through separately for free text.
const CONTROL = /\p{Cc}/u;
const CONTROL_BUT_NEWLINE_TAB = /(?![\t\n])\p{Cc}/u;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export interface TextProblem {
  en: string;
  vi: string;
}

/** Characters as a person counts them (code points): a surrogate pair is one. */
function codePoints(text: string): number {
  let n = text.length;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xdc00 && unit <= 0xdfff) n--;
  }
  return n;
}

/** What is wrong with a (NFC-normalised) text under its rule, or undefined when nothing is. */
export function textProblem(text: string, rule: TextRule): TextProblem | undefined {
  if (LONE_SURROGATE.test(text)) return { en: 'is not well-formed Unicode text', vi: 'không phải văn bản Unicode hợp lệ' };
  if ((rule.multiline ? CONTROL_BUT_NEWLINE_TAB : CONTROL).test(text)) {
    return { en: 'contains a control character', vi: 'chứa ký tự điều khiển không được phép' };
  }
  if (rule.nonEmpty && text.trim() === '') return { en: 'must not be empty', vi: 'không được để trống' };
  if (codePoints(text) > rule.max) return { en: `is longer than ${rule.max} characters`, vi: `dài quá ${rule.max} ký tự` };
  return undefined;
}

/** NFC form; text with a lone surrogate is left as it is (normalize() would keep it, and it is refused anyway). */
export const normaliseText = (text: string): string => text.normalize('NFC');
