import { CABLE_PROTOCOL } from '#contracts';
import {
  confirmFrame,
  decodeCommand,
  disconnectFrame,
  identifierParams,
  messageFrame,
  pingFrame,
  rejectFrame,
  selectProtocol,
  welcomeFrame,
} from './cable-frames.js';

describe('Action Cable server frames (actioncable-v1-json)', () => {
  it('writes each frame as Rails does', () => {
    const id = '{"channel":"GraphqlChannel"}';
    expect(JSON.stringify(welcomeFrame())).toBe('{"type":"welcome"}');
    expect(JSON.stringify(pingFrame(1_700_000_000_999))).toBe('{"type":"ping","message":1700000000}');
    expect(JSON.stringify(disconnectFrame('unauthorized', false))).toBe('{"type":"disconnect","reason":"unauthorized","reconnect":false}');
    expect(JSON.stringify(confirmFrame(id))).toBe(JSON.stringify({ identifier: id, type: 'confirm_subscription' }));
    expect(JSON.stringify(rejectFrame(id))).toBe(JSON.stringify({ identifier: id, type: 'reject_subscription' }));
    expect(JSON.stringify(messageFrame(id, { more: false }))).toBe(JSON.stringify({ identifier: id, message: { more: false } }));
  });
});

describe('selectProtocol', () => {
  it('picks the first offered protocol it knows, else none', () => {
    expect(selectProtocol([CABLE_PROTOCOL.V1_JSON, CABLE_PROTOCOL.UNSUPPORTED])).toBe(CABLE_PROTOCOL.V1_JSON);
    expect(selectProtocol(['graphql-ws', CABLE_PROTOCOL.UNSUPPORTED, CABLE_PROTOCOL.V1_JSON])).toBe(CABLE_PROTOCOL.UNSUPPORTED);
    expect(selectProtocol(new Set(['graphql-ws']))).toBeUndefined();
    expect(selectProtocol([])).toBeUndefined();
  });
});

describe('decodeCommand', () => {
  it('decodes subscribe, unsubscribe and message commands', () => {
    expect(decodeCommand('{"command":"subscribe","identifier":"{}"}')).toEqual({ ok: true, command: { command: 'subscribe', identifier: '{}' } });
    expect(decodeCommand('{"command":"message","identifier":"{}","data":"{\\"action\\":\\"x\\"}"}')).toEqual({
      ok: true,
      command: { command: 'message', identifier: '{}', data: '{"action":"x"}' },
    });
  });

  it('names the problem of anything else, without echoing the frame', () => {
    const cases: Array<[string, string]> = [
      ['glpat-secret', 'frame is not JSON'],
      ['["subscribe"]', 'frame is not a JSON object'],
      ['null', 'frame is not a JSON object'],
      ['{"command":"explode","identifier":"{}"}', 'unrecognized command'],
      ['{"identifier":"{}"}', 'unrecognized command'],
      ['{"command":"subscribe","identifier":{"channel":"GraphqlChannel"}}', 'identifier is not a string'],
      ['{"command":"message","identifier":"{}","data":{}}', 'data is not a string'],
    ];
    for (const [text, problem] of cases) expect(decodeCommand(text)).toEqual({ ok: false, problem });
  });
});

describe('identifierParams', () => {
  it('reads a JSON object with a string channel', () => {
    expect(identifierParams('{"channel":"GraphqlChannel","query":"q","nonce":"1"}')).toEqual({ channel: 'GraphqlChannel', query: 'q', nonce: '1' });
  });

  it('refuses other JSON and non-JSON', () => {
    for (const id of ['GraphqlChannel', '"GraphqlChannel"', '[]', '{}', '{"channel":7}']) expect(identifierParams(id)).toBeUndefined();
  });
});
