-- One database per owner (SPEC: user-service owns users; job-api and the workers share jobs;
-- the email-notifier keeps its sent-mail ledger). Runs once, on an empty data volume.
CREATE DATABASE users;
CREATE DATABASE jobs;
CREATE DATABASE notifier;
