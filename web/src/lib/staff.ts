import { api, type Body, unwrap } from '../api/client';
import { useMe, useSession } from '../session/session';
import { cachedOnce } from './cache';
import { useLoad } from './useLoad';

export type StaffUser = Body<'/api/admin/users', 'get'>['data'][number];

/**
 * Staff users to assign work to: every active user for whoever may read the user list (admin:users), and
 * only oneself otherwise — the API offers no other directory of staff.
 */
export function useStaff() {
  const me = useMe();
  const { can } = useSession();
  const mayList = can('admin:users');
  const loaded = useLoad(async (): Promise<StaffUser[]> => {
    if (!mayList) return me.user ? [me.user] : [];
    const page = await cachedOnce('staff', () =>
      unwrap(api.GET('/api/admin/users', { params: { query: { limit: 200 } } })),
    );
    return page.data.filter((u) => u.status === 'active' && !u.installerId);
  }, [mayList, me.user?.id]);
  return loaded.data ?? [];
}

export const nameOf = (users: StaffUser[], id: string | null | undefined) =>
  id ? (users.find((u) => u.id === id)?.name ?? 'another user') : 'Unassigned';
