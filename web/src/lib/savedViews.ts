/** Saved inbox views: named filter sets, kept per user in this browser's localStorage. */
export interface SavedView {
  name: string;
  query: string;
}

const key = (tenantId: string, userId: string) => `helio.views.${tenantId}.${userId}`;

export function loadViews(tenantId: string, userId: string): SavedView[] {
  try {
    const parsed = JSON.parse(localStorage.getItem(key(tenantId, userId)) ?? '[]');
    return Array.isArray(parsed)
      ? parsed.filter((v) => typeof v?.name === 'string' && typeof v?.query === 'string')
      : [];
  } catch {
    return [];
  }
}

export function storeViews(tenantId: string, userId: string, views: SavedView[]) {
  localStorage.setItem(key(tenantId, userId), JSON.stringify(views));
}
