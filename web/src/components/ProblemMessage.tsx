import { ApiError } from '../api/client';

/** An API problem (title, detail, field errors) or any other failure, announced to screen readers. */
export function ProblemMessage({ error }: { error: unknown }) {
  if (!error) return null;
  const problem = error instanceof ApiError ? error.problem : { title: 'Something went wrong', detail: String(error) };
  return (
    <div className="problem" role="alert">
      <p>
        <strong>{problem.title ?? 'The request failed'}</strong>
        {problem.detail && problem.detail !== problem.title ? ` — ${problem.detail}` : null}
      </p>
      {problem.errors?.length ? (
        <ul>
          {problem.errors.map((e) => (
            <li key={`${e.path}:${e.message}`}>
              {e.path ? <code>{e.path}</code> : null} {e.message}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
