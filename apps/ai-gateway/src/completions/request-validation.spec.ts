import { compileValidator, SCHEMA } from '#contracts';
import { toFastApiErrors } from './request-validation.js';

const validate = compileValidator(SCHEMA.COMPLETIONS_REQUEST);

function detail(body: unknown) {
  const result = validate(body);
  if (result.valid) throw new Error('expected an invalid body');
  return toFastApiErrors(result.violations);
}

describe('toFastApiErrors', () => {
  it('reports a missing field as FastAPI does', () => {
    expect(detail({})).toEqual([{ loc: ['body', 'current_file'], msg: 'Field required', type: 'missing' }]);
    expect(detail({ current_file: { file_name: 'a.py' } })).toEqual([
      { loc: ['body', 'current_file', 'content_above_cursor'], msg: 'Field required', type: 'missing' },
    ]);
  });

  it('reports wrong types, lengths, bounds and extra fields with their location', () => {
    const errors = detail({
      current_file: { file_name: '', content_above_cursor: 1, extra: true },
      prompt_version: 9,
      stream: 'yes',
    });
    expect(errors).toEqual(
      expect.arrayContaining([
        { loc: ['body', 'current_file', 'file_name'], msg: 'String should have at least 1 characters', type: 'string_too_short' },
        { loc: ['body', 'current_file', 'content_above_cursor'], msg: 'Input should be a valid string', type: 'string_type' },
        { loc: ['body', 'current_file', 'extra'], msg: 'Extra inputs are not permitted', type: 'extra_forbidden' },
        { loc: ['body', 'prompt_version'], msg: 'Input should be less than or equal to 3', type: 'less_than_equal' },
        { loc: ['body', 'stream'], msg: 'Input should be a valid boolean', type: 'bool_type' },
      ]),
    );
  });

  it('reports a non-object body at the body itself', () => {
    expect(detail([1])).toEqual([
      { loc: ['body'], msg: 'Input should be a valid dictionary or object to extract fields from', type: 'model_attributes_type' },
    ]);
  });

  it('turns array indexes into numbers', () => {
    expect(detail({ current_file: { file_name: 'a', content_above_cursor: '' }, telemetry: [{ requests: 'x' }] })).toEqual([
      { loc: ['body', 'telemetry', 0, 'requests'], msg: 'Input should be a valid integer', type: 'int_type' },
    ]);
  });
});
