import { Fragment, useId } from 'react';
import { JsonScalar } from '../../components/JsonScalar';
import type { JsonValue } from '../../ipc';
import { humanize } from '../../lib/format';

type JsonObject = { [key in string]: JsonValue };

function isObject(v: JsonValue): v is JsonObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * A lane contract, rendered generically: each top-level key a section, each field a labelled
 * value. Nothing here names a field, so a section or field added to the contract shows up
 * without a UI change. Keys are shown verbatim: they are what an admin edits in the YAML.
 */
export function ContractView({ contract }: { contract: JsonValue }) {
  if (!isObject(contract)) {
    return <pre className="json card">{JSON.stringify(contract, null, 2)}</pre>;
  }
  return (
    <div className="contract">
      {Object.entries(contract).map(([key, value]) => (
        <ContractSection key={key} name={key} value={value} />
      ))}
    </div>
  );
}

function ContractSection({ name, value }: { name: string; value: JsonValue }) {
  const titleId = useId();
  return (
    <section className="card contract-section" aria-labelledby={titleId}>
      <h4 id={titleId}>
        {humanize(name)} <code className="key">{name}</code>
      </h4>
      {value === null ? <p className="muted">Not set in this contract.</p> : <Value value={value} />}
    </section>
  );
}

function Value({ value }: { value: JsonValue }) {
  if (Array.isArray(value)) {
    if (value.length === 0) return <span className="muted">none</span>;
    if (value.every((v) => v === null || typeof v !== 'object')) {
      return (
        <ul className="chip-list list-row">
          {value.map((v, i) => (
            <li key={i} className="tag">
              {String(v)}
            </li>
          ))}
        </ul>
      );
    }
    return (
      <ol className="value-list">
        {value.map((v, i) => (
          <li key={i}>
            <Value value={v} />
          </li>
        ))}
      </ol>
    );
  }
  if (isObject(value)) {
    const entries = Object.entries(value);
    if (entries.length === 0) return <span className="muted">empty</span>;
    return (
      <dl className="kv contract-fields">
        {entries.map(([k, v]) => (
          <div key={k} className="kv-row">
            <dt>
              <BreakableKey name={k} />
            </dt>
            <dd>
              <Value value={v} />
            </dd>
          </div>
        ))}
      </dl>
    );
  }
  return <JsonScalar value={value} />;
}

/** A snake_case key that may wrap after its underscores instead of inside a word. */
function BreakableKey({ name }: { name: string }) {
  const parts = name.split(/(?<=_)/);
  return (
    <>
      {parts.map((p, i) => (
        <Fragment key={i}>
          {p}
          {i < parts.length - 1 && <wbr />}
        </Fragment>
      ))}
    </>
  );
}
