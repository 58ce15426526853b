// Team mode: who is at the console (`whoami`) and the approval requests another login decides.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { commands } from './bindings/commands';
import type { Approval } from './bindings/Approval';
import type { Person } from './bindings/Person';

export type { Approval, Person };

export const teamKeys = {
  whoami: ['team', 'whoami'] as const,
  approvals: ['team', 'approvals'] as const,
};

/** Who is at the console; it does not change while the window is open. */
export function useWhoami() {
  return useQuery({ queryKey: teamKeys.whoami, queryFn: () => commands.whoami(), staleTime: Infinity });
}

/** Every approval request (newest first), in team mode only: a database file has none. */
export function useApprovals(enabled: boolean) {
  return useQuery({
    queryKey: teamKeys.approvals,
    queryFn: () => commands.approvalsList(null),
    enabled,
    // Requests arrive from other consoles: look again now and then.
    refetchInterval: 15_000,
  });
}

export function useApprovalDecide() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, approve, reason }: { id: number; approve: boolean; reason: string }) =>
      commands.approvalDecide(id, approve, reason),
    onSettled: () => client.invalidateQueries({ queryKey: teamKeys.approvals }),
  });
}
