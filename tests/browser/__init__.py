"""Browser tests of the web dashboard (Playwright + Debian chromium)."""
