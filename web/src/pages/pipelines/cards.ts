import { api, type Body, unwrap } from '../../api/client';
import { formatMoney } from '../../lib/format';

export type Pipeline = Body<'/api/crm/pipelines', 'get'>['data'][number];

export interface Card {
  id: string;
  title: string;
  stage: string;
  version: number;
  detail: string;
}

/** The deals of a pipeline: opportunities of a sales pipeline, projects of a delivery one. */
export async function loadCards(pipeline: Pipeline): Promise<Card[]> {
  const query = { params: { query: { pipelineId: pipeline.id, limit: 200 } } };
  if (pipeline.kind === 'sales') {
    const page = await unwrap(api.GET('/api/crm/opportunities', query));
    return page.data.map((o) => ({
      id: o.id,
      title: o.name ?? 'Opportunity',
      stage: o.stage,
      version: o.version,
      detail: `${formatMoney(o.value)} · ${o.status}`,
    }));
  }
  const page = await unwrap(api.GET('/api/crm/projects', query));
  return page.data.map((p) => ({
    id: p.id,
    title: p.name,
    stage: p.stage,
    version: p.version,
    detail: `${p.type} · ${p.status}`,
  }));
}

/**
 * Moves a deal to another stage. If-Match carries the version the board showed, so a card someone else
 * changed meanwhile is refused (412) rather than moved on stale information.
 */
export async function moveCard(pipeline: Pipeline, card: Card, stage: string): Promise<{ version: number }> {
  const request = {
    params: { path: { id: card.id } },
    body: { stage },
    headers: { 'if-match': `"${card.version}"` },
  };
  return pipeline.kind === 'sales'
    ? unwrap(api.POST('/api/crm/opportunities/{id}/stage', request))
    : unwrap(api.POST('/api/crm/projects/{id}/stage', request));
}

export async function loadStageHistory(pipeline: Pipeline, id: string) {
  const request = { params: { path: { id }, query: { limit: 50 } } };
  const page =
    pipeline.kind === 'sales'
      ? await unwrap(api.GET('/api/crm/opportunities/{id}/stage-history', request))
      : await unwrap(api.GET('/api/crm/projects/{id}/stage-history', request));
  return page.data;
}
