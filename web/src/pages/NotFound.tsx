import { Link } from 'react-router';
import { Page } from '../components/Page';

export function NotFound() {
  return (
    <Page title="Page not found">
      <p>
        There is no screen at this address. <Link to="/">Go to the dashboard</Link>.
      </p>
    </Page>
  );
}
