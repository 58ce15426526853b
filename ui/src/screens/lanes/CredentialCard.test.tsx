import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { App } from '../../App';
import { createQueryClient, type CredentialStatus, type LaneSummary } from '../../ipc';
import { accountSyncLane } from '../../test/fixtures';
import { mockBackend, type Call } from '../../test/ipc';

const USERNAME = 'sf_account_sync_app@acme.example';
// A canary: if this string shows up anywhere in the window or its caches, the secret leaked.
const SECRET = '-----BEGIN PRIVATE KEY-----\nCANARY-7f3a9c1e-do-not-leak\n-----END PRIVATE KEY-----';
const CANARY = 'CANARY-7f3a9c1e';

function credential(over: Partial<CredentialStatus> = {}): CredentialStatus {
  return {
    lane_id: 'account_sync_north_america',
    account: 'account_sync_north_america/sf_account_sync_app',
    auth: 'jwt_bearer',
    present: true,
    keychain_error: null,
    set_at: '2026-11-21T09:00:00.000Z',
    last_check: null,
    login_host: 'acme.my.salesforce.com',
    login_host_needs_allowing: false,
    ...over,
  };
}

function lane(c: CredentialStatus): LaneSummary {
  return {
    lane_id: 'account_sync_north_america',
    version: 2,
    object: 'Account',
    external_id_field: 'billing_account_id__c',
    integration_user: 'sf_account_sync_app',
    username: USERNAME,
    instance_url: 'https://acme.my.salesforce.com',
    imported_at: '2026-11-21T08:30:00.000Z',
    credential: c,
  };
}

function renderLanes() {
  const client = createQueryClient();
  render(<App client={client} initialScreen="lanes" />);
  return client;
}

async function card() {
  const heading = await screen.findByRole('heading', { name: 'Integration user credential' });
  return heading.closest('section') as HTMLElement;
}

/** Everything the window holds that a secret could leak into: markup, live field values, caches. */
function everythingVisible(client: ReturnType<typeof createQueryClient>): string {
  const values = [...document.querySelectorAll<HTMLInputElement | HTMLTextAreaElement>('input, textarea')].map((el) => el.value);
  const queries = client.getQueryCache().getAll().map((q) => q.state);
  const mutations = client.getMutationCache().getAll().map((m) => m.state);
  return [document.documentElement.outerHTML, document.body.textContent ?? '', ...values, JSON.stringify(queries), JSON.stringify(mutations)].join('\n');
}

const count = (calls: Call[], cmd: string) => calls.filter((c) => c.cmd === cmd).length;

describe('lane credential', () => {
  it('sends the secret once, clears the field, and the secret is nowhere in the window afterwards', async () => {
    const user = userEvent.setup();
    const calls = mockBackend({
      lanes: [lane(credential())],
      lane: () => accountSyncLane,
      credentialSet: () => ({ lane_id: 'account_sync_north_america', account: 'account_sync_north_america/sf_account_sync_app', kind: 'rsa_private_key' }),
    });
    const client = renderLanes();
    const section = await card();

    await user.click(within(section).getByRole('button', { name: 'Rotate secret…' }));
    const field = within(section).getByLabelText('New RSA private key (PEM)');
    expect(field, 'a jwt_bearer lane asks for the PEM private key, and the field takes focus').toHaveFocus();
    await user.click(field);
    await user.paste(SECRET);
    const lanesBefore = count(calls, 'lanes_list');
    await user.click(within(section).getByRole('button', { name: 'Store in keychain' }));

    expect(await within(section).findByText(/Stored in the keychain as an RSA private key/), 'the store is confirmed').toBeVisible();
    expect(
      calls.filter((c) => c.cmd === 'credentials_set').map((c) => c.args),
      'the secret goes to the backend exactly once, as typed, for this lane',
    ).toEqual([{ laneId: 'account_sync_north_america', secret: SECRET, allowHost: null }]);
    expect(within(section).queryByRole('textbox'), 'the write-only field is gone after saving').toBeNull();
    expect(within(section).getByRole('button', { name: 'Rotate secret…' }), 'keyboard focus returns to the actions, not the page top').toHaveFocus();
    await waitFor(() => expect(count(calls, 'lanes_list'), 'the lanes are asked again: set_at changed').toBeGreaterThan(lanesBefore));
    expect(everythingVisible(client), 'the secret is in no markup, no field value, no query or mutation cache').not.toContain(CANARY);
  });

  it('clears the field even when the keychain refuses the secret, and shows the sentence', async () => {
    const user = userEvent.setup();
    mockBackend({
      lanes: [lane(credential({ present: false, set_at: null }))],
      lane: () => accountSyncLane,
      fail: {
        credentials_set: {
          kind: 'invalid_input',
          message:
            'the lane authenticates with jwt_bearer, so the secret must be an RSA private key in PEM (-----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----); this one does not parse',
        },
      },
    });
    const client = renderLanes();
    const section = await card();

    await user.click(within(section).getByRole('button', { name: 'Set secret…' }));
    const field = within(section).getByLabelText<HTMLTextAreaElement>('RSA private key (PEM)');
    await user.click(field);
    await user.paste(SECRET);
    await user.click(within(section).getByRole('button', { name: 'Store in keychain' }));

    const alert = await within(section).findByRole('alert');
    expect(alert, 'the backend sentence says what the secret must be').toHaveTextContent('this one does not parse');
    expect(field.value, 'the field is emptied on Save, whatever the answer').toBe('');
    expect(within(section).getByRole('button', { name: 'Store in keychain' }), 'nothing left to store').toBeDisabled();
    expect(everythingVisible(client), 'a refused secret leaks nowhere either').not.toContain(CANARY);
  });

  it('a login host outside Salesforce must be allowed by name before the secret can be stored for it', async () => {
    const user = userEvent.setup();
    const calls = mockBackend({
      lanes: [lane(credential({ present: false, set_at: null, login_host: 'sf-proxy.acme.example', login_host_needs_allowing: true }))],
      lane: () => accountSyncLane,
      credentialSet: () => ({ lane_id: 'account_sync_north_america', account: 'account_sync_north_america/sf_account_sync_app', kind: 'rsa_private_key' }),
    });
    const client = renderLanes();
    const section = await card();

    await user.click(within(section).getByRole('button', { name: 'Set secret…' }));
    expect(within(section).getByText(/which is not a Salesforce host or/), 'the form says where the secret would go').toBeVisible();
    await user.click(within(section).getByLabelText('RSA private key (PEM)'));
    await user.paste(SECRET);
    const store = within(section).getByRole('button', { name: 'Store in keychain' });
    expect(store, 'not without allowing the host').toBeDisabled();
    await user.click(within(section).getByRole('checkbox', { name: 'Allow sf-proxy.acme.example to receive this secret' }));
    expect(store).toBeEnabled();
    await user.click(store);

    expect(await within(section).findByText(/Stored in the keychain as an RSA private key/)).toBeVisible();
    expect(
      calls.filter((c) => c.cmd === 'credentials_set').map((c) => c.args),
      'the allowed host travels with the secret, by name',
    ).toEqual([{ laneId: 'account_sync_north_america', secret: SECRET, allowHost: 'sf-proxy.acme.example' }]);
    expect(everythingVisible(client)).not.toContain(CANARY);
  });

  it('Check shows whom the secret acts as', async () => {
    const user = userEvent.setup();
    const calls = mockBackend({
      lanes: [lane(credential())],
      lane: () => accountSyncLane,
      credentialCheck: () => ({
        ok: true,
        acts_as: USERNAME,
        message: null,
        at: '2026-11-21T09:30:00.000Z',
        lane_warnings: ['the contract says Account.billing_account_id__c must be unique, but the org disagrees'],
      }),
    });
    renderLanes();
    const section = await card();
    expect(within(section).getByText('Last check', { selector: 'dt' }).nextElementSibling, 'a never-checked secret says so').toHaveTextContent('never');

    await user.click(within(section).getByRole('button', { name: 'Check' }));
    expect(
      await within(section).findByText((_, el) => el?.classList.contains('credential-note') === true && /acts as/.test(el.textContent ?? '')),
      'the result names the Salesforce user the token acts as',
    ).toHaveTextContent(`Check passed: the secret acts as ${USERNAME} (2026-11-21 09:30:00 UTC).`);
    expect(within(section).getByRole('list', { name: 'Lane warnings' }), 'what the org says against the contract').toHaveTextContent(
      'must be unique, but the org disagrees',
    );
    expect(calls.filter((c) => c.cmd === 'credentials_check').map((c) => c.args), 'the check is for this lane').toEqual([
      { laneId: 'account_sync_north_america' },
    ]);
  });

  it('a secret of another user shows the refusal as a sentence, without the codes', async () => {
    const user = userEvent.setup();
    mockBackend({
      lanes: [lane(credential())],
      lane: () => accountSyncLane,
      fail: {
        credentials_check: {
          kind: 'refused',
          message: `refused (integration_user_mismatch): integration_user_mismatch: the secret acts as \`ops_admin@acme.example\`, not the lane's \`${USERNAME}\``,
        },
      },
    });
    renderLanes();
    const section = await card();

    await user.click(within(section).getByRole('button', { name: 'Check' }));
    const alert = await within(section).findByRole('alert');
    expect(alert, 'the refusal says whom the secret acts as and whom it should').toHaveTextContent(
      `Check failedThe secret acts as \`ops_admin@acme.example\`, not the lane's \`${USERNAME}\`.`,
    );
    expect(alert, 'and what to do about it').toHaveTextContent(`Set the key or secret registered for ${USERNAME}, then check again.`);
    expect(alert.textContent, 'machine codes are for scripts, not for the sentence').not.toMatch(/refused \(|integration_user_mismatch/);
  });

  it('Delete asks first; Keep it sends nothing, Delete secret removes it', async () => {
    const user = userEvent.setup();
    const calls = mockBackend({ lanes: [lane(credential())], lane: () => accountSyncLane, credentialDelete: () => true });
    renderLanes();
    const section = await card();

    await user.click(within(section).getByRole('button', { name: 'Delete…' }));
    const confirm = within(section).getByRole('group', { name: 'Confirm delete' });
    expect(within(confirm).getByRole('button', { name: 'Delete secret' }), 'focus goes to the confirmation').toHaveFocus();
    await user.click(within(confirm).getByRole('button', { name: 'Keep it' }));
    expect(count(calls, 'credentials_delete'), 'keeping it sends nothing').toBe(0);

    await user.click(within(section).getByRole('button', { name: 'Delete…' }));
    await user.click(within(section).getByRole('button', { name: 'Delete secret' }));
    expect(await within(section).findByText(/The secret was deleted from the keychain/), 'the deletion is confirmed with its consequence').toBeVisible();
    expect(calls.filter((c) => c.cmd === 'credentials_delete').map((c) => c.args), 'one delete, for this lane').toEqual([
      { laneId: 'account_sync_north_america' },
    ]);
  });

  it('an unavailable keychain shows the backend explanation and disables the actions', async () => {
    const why = 'no Secret Service is running on the session bus; start gnome-keyring-daemon (or KeePassXC with Secret Service) and unlock it';
    mockBackend({ lanes: [lane(credential({ present: null, keychain_error: why }))], lane: () => accountSyncLane });
    renderLanes();
    const section = await card();

    expect(await within(section).findByText(why), 'the reason and the remedy come from the backend, verbatim').toBeVisible();
    for (const name of ['Rotate secret…', 'Set secret…', 'Check', 'Delete…']) {
      const button = within(section).queryByRole('button', { name });
      if (button) expect(button, `${name} cannot work without a keychain`).toBeDisabled();
    }
    expect(within(section).getByRole('button', { name: 'Ask again' }), 'the keychain can be asked again once started').toBeEnabled();
  });
});
