import { describe, expect, test } from 'vitest';
import { validator } from '@autocloud/schemas';
import { parseComposeId } from '../productmd/compose-id.js';
import { ComposeInfo, ImagesManifest } from '../productmd/productmd.schema.js';
import { F27_DIR, F27_ID, readMetadata } from '../test-support.js';
import { composeFields, composeIdMismatch } from './compose-fields.js';

const info = validator(ComposeInfo).parse(readMetadata(F27_DIR, 'composeinfo.json'));
const images = validator(ImagesManifest).parse(readMetadata(F27_DIR, 'images.json'));

describe('compose fields', () => {
  test('come from composeinfo.json; the release from the message when it has one', () => {
    expect(composeFields(F27_ID, { info })).toEqual({
      release: '27',
      date: '20180317',
      respin: 0,
      type: 'production',
      label: 'RC-20180317.0',
    });
    const message = { status: 'FINISHED', compose_id: F27_ID, location: 'x', release_version: 'Rawhide' };
    expect(composeFields(F27_ID, { info, message }).release).toBe('Rawhide');
  });

  test('without composeinfo.json: from the message, then from the compose id', () => {
    const message = {
      status: 'FINISHED',
      compose_id: 'Fedora-28-20180425.0',
      location: 'x',
      compose_date: '20180425',
      compose_respin: 0,
      compose_type: 'production',
      compose_label: 'RC-20180425.0',
      release_version: '28',
    };
    expect(composeFields('Fedora-28-20180425.0', { message })).toEqual({
      release: '28',
      date: '20180425',
      respin: 0,
      type: 'production',
      label: 'RC-20180425.0',
    });
    expect(composeFields('Fedora-24-20160419.n.1', {})).toEqual({
      release: '24',
      date: '20160419',
      respin: 1,
      type: 'nightly',
      label: null,
    });
    expect(composeFields('not-a-compose-id', {}, new Date('2026-01-02T03:04:05Z'))).toEqual({
      release: '',
      date: '20260102',
      respin: 0,
      type: 'unknown',
      label: null,
    });
  });

  test('compose ids as productmd writes them', () => {
    expect(parseComposeId('Fedora-Cloud-27-20180317.0')).toEqual({
      short: 'Fedora-Cloud',
      version: '27',
      date: '20180317',
      type: 'production',
      respin: 0,
    });
    expect(parseComposeId('Fedora-Rawhide-20251101.n.2')).toMatchObject({
      version: 'Rawhide',
      type: 'nightly',
      respin: 2,
    });
    expect(parseComposeId('Fedora-43-20251023.t.1')).toMatchObject({ type: 'test' });
    expect(parseComposeId('Fedora-43-20251023.ci.0')).toMatchObject({ type: 'ci' });
    expect(parseComposeId('garbage')).toBeUndefined();
  });

  test('the metadata must describe the compose the message names', () => {
    expect(composeIdMismatch(F27_ID, { composeinfo: info, images })).toBeUndefined();
    expect(composeIdMismatch('Fedora-28-20180425.0', { composeinfo: info, images })).toBe(
      'metadata/composeinfo.json describes compose Fedora-Cloud-27-20180317.0, not Fedora-28-20180425.0: the location holds another compose',
    );
  });
});
