"""``python -m email_notifier``: run the notifications worker."""

from email_notifier.worker import main

raise SystemExit(main())
