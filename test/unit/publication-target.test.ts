/**
 * A save records its target without building a publisher; the worker's
 * publisher must name the same target, or saves would be published to one
 * place and their files looked up under another.
 */
import { describe, expect, it } from 'vitest';
import type { GitConfig } from '../../src/core/config/schema.ts';
import { GitHubPublisher } from '../../src/server/git/github.ts';
import { LocalGitPublisher } from '../../src/server/git/local.ts';
import { localPath, publicationTarget } from '../../src/server/git/target.ts';

describe('publication target', () => {
  it('is what the GitHub publisher names, trailing slashes of the API URL aside', () => {
    const git = { directory: 'values', github: { repository: 'acme/params', branch: 'main', token_env: 'T', api_url: 'https://ghe.example/api/v3/' } } as GitConfig;
    const publisher = new GitHubPublisher({ repository: 'acme/params', branch: 'main', tokenEnv: 'T', apiUrl: git.github!.api_url, token: undefined });
    expect(publicationTarget(git, '/etc/switchyard/config.yaml')).toBe(publisher.target);
    expect(publisher.target).toBe('github:acme/params#main@https://ghe.example/api/v3');
  });

  it('is what the local publisher names, its path relative to config.yaml', () => {
    const git = { directory: 'values', local: { path: '../repo', branch: 'main', remote: 'origin' } } as GitConfig;
    const publisher = new LocalGitPublisher({ path: localPath(git.local!, '/etc/switchyard/config.yaml'), branch: 'main', remote: 'origin' });
    expect(publicationTarget(git, '/etc/switchyard/config.yaml')).toBe(publisher.target);
    expect(publisher.target).toBe('local:/etc/repo#main@origin');
  });

  it('is none when publication is off', () => {
    expect(publicationTarget(undefined, '/etc/switchyard/config.yaml')).toBeUndefined();
  });
});
