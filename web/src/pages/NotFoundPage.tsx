import { Button } from '@mantine/core';
import { IconMapOff } from '@tabler/icons-react';
import { Link } from 'react-router';
import { Empty } from '../components/Empty.tsx';

export function NotFoundPage() {
  return (
    <Empty
      icon={<IconMapOff size={22} />}
      title="This page does not exist"
      description="The link may be old, or the page may need a permission your role does not have."
      action={
        <Button component={Link} to="/" variant="light">
          Go home
        </Button>
      }
    />
  );
}
