import { QueryClientProvider } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import type { ReactNode } from 'react';
import { App, type Screen } from '../App';
import { createQueryClient, type EventDetail, type EventQuery, type EventSummary } from '../ipc';
import { mockBackend as install, type Call, type MockBackend } from '../ipc/mock';
import type { CredentialStatus, LaneSummary, StatusCount } from '../ipc';

export type { Call };

/** The mock backend with plain values for the list commands, which is what tests mostly need. */
export function mockBackend(b: Omit<MockBackend, 'lanes' | 'counts'> & { lanes?: LaneSummary[]; counts?: StatusCount[] }): Call[] {
  const { lanes, counts, ...rest } = b;
  return install({ ...rest, lanes: () => lanes ?? [], counts: () => counts ?? [] });
}

export function renderApp(initialScreen: Screen = 'queue') {
  return render(<App client={createQueryClient()} initialScreen={initialScreen} />);
}

/** The app opened on one event in full, as "Preflight and replay" in the queue opens it. */
export function renderEvent(id: number) {
  return render(<App client={createQueryClient()} initialEvent={id} />);
}

/** A component alone, with the query client the IPC hooks need. */
export function renderWithClient(ui: ReactNode) {
  return render(<QueryClientProvider client={createQueryClient()}>{ui}</QueryClientProvider>);
}

export function eventQueries(calls: Call[]): EventQuery[] {
  return calls.filter((c) => c.cmd === 'events_list').map((c) => c.args.query as EventQuery);
}

let nextId = 1;
export function summary(over: Partial<EventSummary> = {}): EventSummary {
  const id = over.id ?? nextId++;
  return {
    id,
    lane_id: 'account_sync_north_america',
    event_key: `evt-${1000 + id}`,
    object: 'Account',
    external_id: `BA-${1000 + id}`,
    external_id_missing: false,
    operation: 'upsert',
    status: 'failed',
    failure_code: 'UNABLE_TO_LOCK_ROW',
    failure_message: 'unable to obtain exclusive access to this record',
    occurred_at: '2026-11-20T10:00:00.000Z',
    updated_at: '2026-11-20T10:05:00.000Z',
    ...over,
  };
}

/** An event as `event_show` returns it. */
export function eventDetail(over: Partial<EventDetail> = {}): EventDetail {
  return {
    ...summary({ id: over.id ?? 7, external_id: 'BA-1007', event_key: 'evt-1007', ...over }),
    lane_version: 2,
    source_system: 'billing',
    failure_http_status: 400,
    import_id: 1,
    payload: { Name: 'Acme GmbH', Tier__c: 'Gold', AnnualRevenue: 1250000 },
    attempts: [],
    triage: { assignee: null, investigating: false, tags: [], notes: [], updated_by: null, updated_at: null },
    ...over,
  };
}

/** A lane as `lanes_list` returns it: account_sync_north_america, with no secret in the keychain. */
export function laneSummary(over: Partial<LaneSummary> = {}, credential: Partial<CredentialStatus> = {}): LaneSummary {
  return {
    lane_id: 'account_sync_north_america',
    version: 1,
    object: 'Account',
    external_id_field: 'billing_account_id__c',
    integration_user: 'sf_account_sync_app',
    username: 'sf_account_sync_app@acme.example',
    instance_url: 'https://acme.my.salesforce.com',
    imported_at: '2026-11-21T08:30:00.000Z',
    credential: {
      lane_id: 'account_sync_north_america',
      account: 'account_sync_north_america/sf_account_sync_app',
      auth: 'jwt_bearer',
      present: false,
      keychain_error: null,
      set_at: null,
      last_check: null,
      login_host: 'acme.my.salesforce.com',
      login_host_needs_allowing: false,
      ...credential,
    },
    ...over,
  };
}
