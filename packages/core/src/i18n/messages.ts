import type { AssignmentErrorCode } from '../domain/assignment';
import type { DomainErrorCode } from '../errors';

/** Locales drivers are answered in; the first is the fallback. */
export const SUPPORTED_LOCALES = ['en', 'ru'] as const;
export type Locale = (typeof SUPPORTED_LOCALES)[number];

type MessageCode = AssignmentErrorCode | DomainErrorCode | 'invalid_request' | 'unauthorized' | 'forbidden';

/** What a driver reads in the taximeter for each code. */
const MESSAGES: Readonly<Record<Locale, Partial<Readonly<Record<MessageCode, string>>>>> = {
  en: {
    driver_not_found_in_tracker: 'We could not find you in the queue. Check that you are online and try the code again.',
    driver_busy: 'You already have an order. Finish it before taking this one.',
    driver_out_of_area: 'You are outside the pickup area. Move to the queue and try the code again.',
    processing_timeout: 'The order could not be confirmed in time. Enter the code again.',
    order_cancelled: 'The passenger cancelled the order.',
    expired: 'This code has expired.',
    processing_disabled: 'Code dispatch is paused. Take orders the usual way.',
    area_not_found: 'Code dispatch does not work in this area.',
    area_disabled: 'Code dispatch is switched off in this area.',
    invalid_code_format: 'That is not a valid code. Check the number of characters.',
    invalid_code_checksum: 'The code has a typo. Ask the passenger to repeat it.',
    code_not_found: 'No order has this code. Ask the passenger to repeat it.',
    code_already_in_use: 'Another driver has already entered this code.',
    driver_has_active_assignment: 'You are already being assigned another order.',
    too_many_attempts: 'Too many wrong codes. Wait a little before trying again.',
    assignment_not_found: 'No such order.',
    invalid_request: 'The request is not valid.',
    unauthorized: 'Please sign in again.',
    forbidden: 'You are not allowed to do this.',
  },
  ru: {
    driver_not_found_in_tracker: 'Не удалось найти вас в очереди. Проверьте, что вы на линии, и введите код ещё раз.',
    driver_busy: 'У вас уже есть заказ. Завершите его, прежде чем брать этот.',
    driver_out_of_area: 'Вы вне зоны посадки. Встаньте в очередь и введите код ещё раз.',
    processing_timeout: 'Заказ не удалось подтвердить вовремя. Введите код ещё раз.',
    order_cancelled: 'Пассажир отменил заказ.',
    expired: 'Срок действия кода истёк.',
    processing_disabled: 'Выдача заказов по коду приостановлена. Берите заказы как обычно.',
    area_not_found: 'В этой зоне заказы по коду не работают.',
    area_disabled: 'В этой зоне заказы по коду отключены.',
    invalid_code_format: 'Неверный код. Проверьте количество символов.',
    invalid_code_checksum: 'В коде опечатка. Попросите пассажира повторить код.',
    code_not_found: 'Заказа с таким кодом нет. Попросите пассажира повторить код.',
    code_already_in_use: 'Этот код уже ввёл другой водитель.',
    driver_has_active_assignment: 'Вам уже назначается другой заказ.',
    too_many_attempts: 'Слишком много неверных кодов. Подождите немного и попробуйте снова.',
    assignment_not_found: 'Такого заказа нет.',
    invalid_request: 'Некорректный запрос.',
    unauthorized: 'Войдите в систему заново.',
    forbidden: 'У вас нет доступа к этому действию.',
  },
};

/**
 * The best supported locale for an Accept-Language header (RFC 9110 §12.5.4):
 * highest q first, primary subtag matched (`ru-RU` → `ru`), `en` when none fits.
 */
export const negotiateLocale = (acceptLanguage: string | undefined): Locale => {
  for (const tag of acceptedTags(acceptLanguage)) {
    const found = SUPPORTED_LOCALES.find((l) => l === tag);
    if (found) return found;
  }
  return 'en';
};

/** The driver-facing text for a code, in the locale (falls back to English, then to the code). */
export const driverMessage = (code: MessageCode, locale: Locale): string =>
  MESSAGES[locale][code] ?? MESSAGES.en[code] ?? code.replace(/_/g, ' ');

/**
 * The passenger's instructions of an area: the text for the requested locale,
 * else for the Accept-Language choice, else English, else any.
 */
export const pickInstructions = (
  instructions: Readonly<Record<string, string>>,
  locale: string | undefined,
  acceptLanguage: string | undefined,
): string | undefined => {
  const has = (l: string | undefined): l is string => l !== undefined && Object.prototype.hasOwnProperty.call(instructions, l);
  const requested = locale?.toLowerCase();
  const requestedPrimary = requested?.split(/[-_]/)[0];
  const preferred = [requested, requestedPrimary, ...acceptedTags(acceptLanguage), 'en'].find(has);
  if (preferred !== undefined) return instructions[preferred];
  const any = Object.keys(instructions)[0];
  return any === undefined ? undefined : instructions[any];
};

/** Language tags by preference (q, then order), each followed by its primary subtag. */
const acceptedTags = (acceptLanguage: string | undefined): string[] =>
  (acceptLanguage ?? '')
    .split(',')
    .slice(0, 32)
    .map((part) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return { tag: tag.trim().toLowerCase(), weight: q === undefined ? 1 : Number(q.slice(2)) || 0 };
    })
    .filter((r) => r.tag !== '' && r.tag !== '*' && r.weight > 0)
    .sort((a, b) => b.weight - a.weight)
    .flatMap((r) => [r.tag, r.tag.split('-')[0] as string]);
