import { expect } from 'vitest';
import { call, type TestApp } from '../../../../test/helpers.ts';

/** HTTP steps of an import shared by the kinds' tests. */

export async function upload(t: TestApp, token: string, kind: string, csv: string) {
  const res = await t.app.inject({
    method: 'POST',
    url: `/api/crm/imports?kind=${kind}&fileName=${kind}.csv`,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
    payload: csv,
  });
  return { status: res.statusCode, body: JSON.parse(res.body) };
}

export async function allRows(t: TestApp, token: string, id: string) {
  const out: any[] = [];
  let cursor: string | null = null;
  do {
    const res = await call(t.app, 'GET', `/api/crm/imports/${id}/rows?limit=200${cursor ? `&cursor=${cursor}` : ''}`, {
      token,
    });
    expect(res.status).toBe(200);
    out.push(...res.body.data);
    cursor = res.body.nextCursor;
  } while (cursor);
  return out;
}

/** upload → suggested mapping → propose; returns the proposed batch. */
export async function proposed(t: TestApp, token: string, kind: string, csv: string) {
  const up = await upload(t, token, kind, csv);
  expect(up.status).toBe(201);
  const mapped = await call(t.app, 'PUT', `/api/crm/imports/${up.body.id}/mapping`, {
    token,
    body: { mapping: up.body.suggestedMapping },
  });
  expect(mapped.status).toBe(200);
  const res = await call(t.app, 'POST', `/api/crm/imports/${up.body.id}/propose`, { token });
  expect(res.status).toBe(200);
  return res.body;
}

/** upload → suggested mapping → propose → approve → commit; returns the committed batch. */
export async function committed(t: TestApp, token: string, kind: string, csv: string) {
  const p = await proposed(t, token, kind, csv);
  expect((await call(t.app, 'POST', `/api/crm/imports/${p.id}/approve`, { token })).status).toBe(200);
  const res = await call(t.app, 'POST', `/api/crm/imports/${p.id}/commit`, { token });
  expect(res.status).toBe(200);
  return res.body;
}
