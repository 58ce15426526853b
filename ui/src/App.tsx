import { QueryClientProvider, type QueryClient } from '@tanstack/react-query';
import { useState, type ReactNode } from 'react';
import { useAuditLosses, useEventCounts, useLanes, useWhoami, type AuditFilter, type EventFilter, type Person } from './ipc';
import { formatCount } from './lib/format';
import { LanesScreen } from './screens/lanes/LanesScreen';
import { EventScreen } from './screens/event/EventScreen';
import { QueueScreen } from './screens/queue/QueueScreen';
import { AuditIcon } from './screens/audit/AuditIcon';
import { AuditScreen } from './screens/audit/AuditScreen';
import { OpenAuditProvider } from './screens/audit/openAudit';
import { BatchScreen, type BatchTarget } from './screens/batch/BatchScreen';
import { BatchesScreen } from './screens/batch/BatchesScreen';
import { ApprovalsScreen } from './screens/approvals/ApprovalsScreen';
import { GroupsScreen } from './screens/groups/GroupsScreen';
import { rolesInWords } from './lib/roles';
import { LogFolderButton } from './components/LogFolderButton';

export type Screen = 'queue' | 'groups' | 'lanes' | 'audit' | 'batches' | 'approvals';

export function App({
  client,
  initialScreen = 'queue',
  initialEvent = null,
}: {
  client: QueryClient;
  initialScreen?: Screen;
  /** Open this event in full at start (tests, preview). */
  initialEvent?: number | null;
}) {
  return (
    <QueryClientProvider client={client}>
      <Shell initialScreen={initialScreen} initialEvent={initialEvent} />
    </QueryClientProvider>
  );
}

const NO_FILTER: EventFilter = { laneId: null, status: null };

function Shell({ initialScreen, initialEvent }: { initialScreen: Screen; initialEvent: number | null }) {
  const [screen, setScreen] = useState<Screen>(initialScreen);
  // The full view of one event, over the queue. The queue stays mounted underneath, hidden, so
  // "back" finds its filter, selection and loaded pages as they were.
  const [openEvent, setOpenEvent] = useState<number | null>(initialEvent);
  // Kept here, not in the queue screen, so "Show events" on a lane lands on a filtered queue.
  const [filter, setFilter] = useState<EventFilter>(NO_FILTER);
  // The audit screen's filter, kept here so an event's "Audit trail" lands on a filtered log.
  const [auditFilter, setAuditFilter] = useState<AuditFilter>({});
  const [groupsLane, setGroupsLane] = useState<string | null>(null);
  const openAudit = (f: AuditFilter) => {
    setOpenEvent(null);
    setAuditFilter(f);
    setScreen('audit');
  };
  // The batch open under "Batches" (one from the history, or one started from the queue) and
  // where its back button leads. It stays mounted while the operator looks at one of its events
  // or at another screen, so a run in progress keeps its screen.
  // `opened` counts openings: a batch opened again starts afresh (no error of an earlier attempt).
  const [batch, setBatch] = useState<{ target: BatchTarget; from: 'queue' | 'groups' | 'batches'; opened: number } | null>(null);
  const [openings, setOpenings] = useState(0);
  const openBatch = (target: BatchTarget, from: 'queue' | 'groups' | 'batches') => {
    setOpenings((n) => n + 1);
    setBatch({ target, from, opened: openings + 1 });
  };
  const closeBatch = () => {
    if (batch !== null) setScreen(batch.from);
    setBatch(null);
  };

  return (
    <div className="shell">
      <Sidebar
        screen={screen}
        onNavigate={(s) => {
          setOpenEvent(null);
          // "Batches" again, from an open batch: back to the list.
          if (s === 'batches' && screen === 'batches') setBatch(null);
          setScreen(s);
        }}
      />
      <main className="main">
        <OpenAuditProvider open={openAudit}>
          <div className="screen-slot" hidden={openEvent !== null || (screen === 'batches' && batch !== null)}>
            {screen === 'queue' ? (
              <QueueScreen
                filter={filter}
                onFilterChange={setFilter}
                onOpenEvent={setOpenEvent}
                onBatchReplay={(target) => {
                  openBatch(target, 'queue');
                  setScreen('batches');
                }}
              />
            ) : screen === 'groups' ? (
              <GroupsScreen
                laneId={groupsLane}
                onLaneChange={setGroupsLane}
                onShowEvents={(laneId, reasonCode) => {
                  setFilter({ laneId, status: null, ...(reasonCode ? { reasonCode } : {}) });
                  setScreen('queue');
                }}
                onBatch={(target) => {
                  openBatch(target, 'groups');
                  setScreen('batches');
                }}
              />
            ) : screen === 'audit' ? (
              <AuditScreen filter={auditFilter} onFilterChange={setAuditFilter} />
            ) : screen === 'approvals' ? (
              <ApprovalsScreen onOpenEvent={setOpenEvent} />
            ) : screen === 'batches' ? (
              <BatchesScreen onOpen={(batchId) => openBatch({ kind: 'saved', batchId }, 'batches')} />
            ) : (
              <LanesScreen
                onShowEvents={(laneId) => {
                  setFilter({ laneId, status: null });
                  setScreen('queue');
                }}
              />
            )}
          </div>
          {batch !== null && (
            <div className="screen-slot" hidden={openEvent !== null || screen !== 'batches'}>
              <BatchScreen
                key={batch.opened}
                target={batch.target}
                backLabel={batch.from === 'queue' ? 'Queue' : batch.from === 'groups' ? 'Groups' : 'Batches'}
                onBack={closeBatch}
                onTarget={(target) => setBatch({ ...batch, target })}
                onOpenEvent={setOpenEvent}
              />
            </div>
          )}
          {openEvent !== null && (
            <EventScreen
              key={openEvent}
              id={openEvent}
              backLabel={screen === 'batches' && batch !== null ? 'Batch' : screen === 'approvals' ? 'Approvals' : 'Queue'}
              onBack={() => setOpenEvent(null)}
            />
          )}
        </OpenAuditProvider>
      </main>
    </div>
  );
}

function Sidebar({ screen, onNavigate }: { screen: Screen; onNavigate: (s: Screen) => void }) {
  const counts = useEventCounts();
  const lanes = useLanes();
  // A lost audit checkpoint stands in the navigation, on every screen, until acknowledged.
  const losses = useAuditLosses();
  const me = useWhoami();
  const openLosses = (losses.data ?? []).filter((l) => l.acknowledged === null);
  const totalEvents = counts.data?.reduce((sum, c) => sum + c.count, 0);
  const items: { id: Screen; label: string; count: number | undefined; icon: ReactNode }[] = [
    { id: 'queue', label: 'Queue', count: totalEvents, icon: <QueueIcon /> },
    { id: 'groups', label: 'Groups', count: undefined, icon: <GroupsIcon /> },
    { id: 'lanes', label: 'Lanes', count: lanes.data?.length, icon: <LanesIcon /> },
    { id: 'batches', label: 'Batches', count: undefined, icon: <BatchesIcon /> },
    { id: 'audit', label: 'Audit', count: undefined, icon: <AuditIcon /> },
  ];
  // Approvals are team mode's: a database file has one person and no logins.
  if (me.data?.authenticated === true) {
    items.push({ id: 'approvals', label: 'Approvals', count: undefined, icon: <ApprovalsIcon /> });
  }
  return (
    <aside className="sidebar">
      <div className="brand">
        <span className="brand-mark" aria-hidden="true">
          <ReplayIcon />
        </span>
        <span className="brand-name">Replay Console</span>
      </div>
      <nav aria-label="Main">
        <ul className="list-column">
          {items.map((item) => (
            <li key={item.id}>
              <button
                type="button"
                className="nav-item"
                aria-current={screen === item.id ? 'page' : undefined}
                onClick={() => onNavigate(item.id)}
              >
                {item.icon}
                <span className="nav-label">{item.label}</span>
                {item.count !== undefined && <span className="nav-count">{formatCount(item.count)}</span>}
                {item.id === 'audit' && openLosses.length > 0 && (
                  <span
                    className="nav-alert"
                    role="status"
                    aria-label={`Audit checkpoint lost at entry ${openLosses.map((l) => l.seq).join(', ')}: not acknowledged`}
                    title={`Audit checkpoint lost at entry ${openLosses.map((l) => l.seq).join(', ')}: not acknowledged`}
                  >
                    !
                  </span>
                )}
              </button>
            </li>
          ))}
        </ul>
      </nav>
      <div className="sidebar-foot">
        {me.data && <WhoIsHere person={me.data} />}
        <LogFolderButton />
      </div>
    </aside>
  );
}

/** Who is at the console: the server's login and roles in team mode; the OS user in solo mode. */
function WhoIsHere({ person }: { person: Person }) {
  return (
    <section className="whoami" aria-label="Who is at the console">
      <div className="whoami-login mono" title={person.server ?? 'a database file on this machine'}>
        {person.login}
      </div>
      {person.authenticated ? (
        <>
          <div className="whoami-roles">{person.roles.length === 0 ? 'no team role' : person.roles.join(' · ')}</div>
          <div className="whoami-auth is-authenticated" title={`Your login ${rolesInWords(person.roles)} on ${person.server ?? 'the server'}`}>
            authenticated by the server
          </div>
        </>
      ) : (
        <div className="whoami-auth" title="A database file has one person and no logins: names typed in forms are declared, not authenticated">
          solo: not authenticated
        </div>
      )}
    </section>
  );
}

function ApprovalsIcon() {
  return (
    <svg className="nav-icon" width="16" height="16" viewBox="0 0 16 16" fill="none" stroke="currentColor" strokeWidth="1.5" aria-hidden="true">
      <circle cx="8" cy="8" r="5.5" />
      <path d="M5.6 8.2l1.7 1.7 3.2-3.4" strokeLinecap="round" strokeLinejoin="round" />
    </svg>
  );
}

function ReplayIcon() {
  return (
    <svg width="16" height="16" viewBox="0 0 16 16" fill="none" stroke="currentColor" strokeWidth="1.6">
      <path d="M2.5 8a5.5 5.5 0 1 0 1.7-4" strokeLinecap="round" />
      <path d="M2.5 1.8v2.7h2.7" strokeLinecap="round" strokeLinejoin="round" />
      <path d="M6.8 5.8v4.4L10.2 8z" fill="currentColor" stroke="none" />
    </svg>
  );
}

function QueueIcon() {
  return (
    <svg className="nav-icon" width="16" height="16" viewBox="0 0 16 16" fill="none" stroke="currentColor" strokeWidth="1.5" aria-hidden="true">
      <path d="M2.5 4h11M2.5 8h11M2.5 12h7" strokeLinecap="round" />
    </svg>
  );
}

function GroupsIcon() {
  return (
    <svg className="nav-icon" width="16" height="16" viewBox="0 0 16 16" fill="none" stroke="currentColor" strokeWidth="1.5" aria-hidden="true">
      <circle cx="5" cy="5" r="2.5" />
      <circle cx="11" cy="5" r="2.5" />
      <circle cx="8" cy="11" r="2.5" />
    </svg>
  );
}

function LanesIcon() {
  return (
    <svg className="nav-icon" width="16" height="16" viewBox="0 0 16 16" fill="none" stroke="currentColor" strokeWidth="1.5" aria-hidden="true">
      <path d="M2 5h9.5M2 11h9.5" strokeLinecap="round" />
      <path d="M10 3l2.5 2-2.5 2M10 9l2.5 2-2.5 2" strokeLinecap="round" strokeLinejoin="round" />
    </svg>
  );
}

function BatchesIcon() {
  return (
    <svg className="nav-icon" width="16" height="16" viewBox="0 0 16 16" fill="none" stroke="currentColor" strokeWidth="1.5" aria-hidden="true">
      <rect x="2.5" y="2.5" width="8" height="8" rx="1.2" />
      <path d="M5.5 13.5h6.8a1.2 1.2 0 0 0 1.2-1.2V5.5" strokeLinecap="round" />
    </svg>
  );
}
