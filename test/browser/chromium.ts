import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { packageRoot } from '../../src/cli/paths.js';

/** Debian's Chromium, headless, with everything that would phone home turned off. */
export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Where screenshots go (git-ignored). */
export function artifact(name: string): string {
  const dir = join(packageRoot(), 'test-artifacts');
  mkdirSync(dir, { recursive: true });
  return join(dir, name);
}

/** Every URL the page asks for (requests and WebSockets), and every error it throws. */
export function watch(page: Page) {
  const urls: string[] = [];
  const errors: string[] = [];
  page.on('request', (request) => {
    urls.push(request.url());
  });
  page.on('websocket', (socket) => {
    urls.push(socket.url());
  });
  page.on('pageerror', (error) => {
    errors.push(error.message);
  });
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  return { urls, errors };
}
