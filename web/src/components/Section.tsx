import type { ReactNode } from 'react';
import type { Loaded } from '../lib/useLoad';
import { Loading } from './Loading';
import { ProblemMessage } from './ProblemMessage';

/** A titled part of a screen whose data loads on its own: loading, error, empty and filled states. */
export function Section<T>({
  id,
  title,
  loaded,
  isEmpty,
  empty,
  children,
}: {
  id: string;
  title: string;
  loaded: Loaded<T>;
  isEmpty?: (data: T) => boolean;
  empty?: string;
  children: (data: T) => ReactNode;
}) {
  const { data, error, loading } = loaded;
  return (
    <section className="card" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{title}</h2>
      <ProblemMessage error={error} />
      {loading && data === undefined ? <Loading what={title.toLowerCase()} /> : null}
      {data !== undefined && isEmpty?.(data) ? <p className="empty">{empty ?? 'Nothing yet.'}</p> : null}
      {data !== undefined && !isEmpty?.(data) ? children(data) : null}
    </section>
  );
}
