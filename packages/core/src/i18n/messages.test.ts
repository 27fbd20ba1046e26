import { driverMessage, negotiateLocale, pickInstructions } from './messages';

describe('negotiateLocale', () => {
  it.each([
    [undefined, 'en'],
    ['', 'en'],
    ['ru', 'ru'],
    ['ru-RU,ru;q=0.9,en;q=0.8', 'ru'],
    ['de-DE, en;q=0.5, ru;q=0.7', 'ru'],
    ['en;q=0.1, ru;q=0', 'en'],
    ['fr, de', 'en'],
    ['*', 'en'],
    ['RU', 'ru'],
    ['ru;q=abc, en', 'en'],
  ])('%p → %s', (header, locale) => {
    expect(negotiateLocale(header)).toBe(locale);
  });
});

describe('driverMessage', () => {
  it('decodes every driver-facing error code in both locales', () => {
    for (const code of ['driver_busy', 'expired', 'code_not_found', 'too_many_attempts', 'invalid_code_checksum'] as const) {
      expect(driverMessage(code, 'en')).toMatch(/[a-z]/i);
      expect(driverMessage(code, 'ru')).toMatch(/[а-я]/i);
      expect(driverMessage(code, 'ru')).not.toBe(driverMessage(code, 'en'));
    }
  });

  it('falls back to a readable form of the code', () => {
    expect(driverMessage('storage_unavailable', 'ru')).toBe('storage unavailable');
  });
});

describe('pickInstructions', () => {
  const texts = { ru: 'Назовите код', en: 'Tell the code' };

  it('prefers the requested locale, then Accept-Language, then en, then any', () => {
    expect(pickInstructions(texts, 'ru', 'en')).toBe('Назовите код');
    expect(pickInstructions(texts, 'ru-RU', undefined)).toBe('Назовите код');
    expect(pickInstructions(texts, undefined, 'ru-RU;q=0.9')).toBe('Назовите код');
    expect(pickInstructions(texts, 'de', 'fr')).toBe('Tell the code');
    expect(pickInstructions({ de: 'Sagen Sie den Code' }, 'ru', 'en')).toBe('Sagen Sie den Code');
    expect(pickInstructions({}, 'ru', 'en')).toBeUndefined();
  });
});
