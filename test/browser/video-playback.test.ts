import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { nodeCrypto } from '../../src/sigv4/node-crypto.js';
import { presign } from '../../src/sigv4/sign.js';
import { CHROMIUM_MISSING, FFMPEG_MISSING, launchChromium, startPageServer, type PageServer, type TestBrowser } from '../helpers/browser-harness.js';
import { startCountingProxy, type CountingProxy } from '../helpers/browser-proxy.js';
import { signedRequest } from '../helpers/e2e-http.js';
import { ROOT_CREDENTIALS, startServer, type TestServer } from '../helpers/server.js';

const DURATION_S = 3;

/**
 * 3 s of ffmpeg's test pattern in VP8, a keyframe every 0.5 s so a seek lands
 * on one quickly. The noise keeps it from compressing to nothing (about
 * 1.3 MB), so at the proxy's pace the browser cannot hold it all before seeking.
 */
function makeWebm(dir: string): Buffer {
  const file = join(dir, 'clip.webm');
  execFileSync('ffmpeg', [
    '-loglevel', 'error', '-nostdin', '-y',
    '-f', 'lavfi', '-i', `testsrc=duration=${DURATION_S}:size=160x120:rate=20`, '-vf', 'noise=alls=100:allf=t',
    '-c:v', 'libvpx', '-b:v', '20M', '-minrate', '20M', '-maxrate', '20M', '-bufsize', '2M', '-g', '10', '-an', file,
  ]);
  return readFileSync(file);
}

interface PlaybackReport {
  readonly error: string | null;
  readonly readyStateAfterLoad: number;
  readonly playedTo: number;
  readonly duration: number;
  readonly videoWidth: number;
  readonly seekedTo: number;
  readonly readyStateAfterSeek: number;
  /** A pixel read back through a canvas: possible only if the CORS headers untainted the frame. */
  readonly pixel: number[] | string;
}

/**
 * The test page: plays a cross-origin video (crossorigin=anonymous, so CORS
 * applies), then seeks, and reports what the media element saw. Plain page
 * script, as a site would ship it.
 */
const PLAYER_PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>latchkey video test</title></head><body>
<script>
function waitFor(video, name, ms) {
  return new Promise(function (resolve, reject) {
    var timer = setTimeout(function () { reject(new Error('timed out waiting for ' + name)); }, ms);
    video.addEventListener(name, function () { clearTimeout(timer); resolve(); }, { once: true });
    video.addEventListener('error', function () {
      clearTimeout(timer);
      reject(new Error('media error ' + (video.error && video.error.code) + ': ' + (video.error && video.error.message)));
    }, { once: true });
  });
}
function sleep(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }
async function playAndSeek(src, seekTo) {
  var video = document.createElement('video');
  video.crossOrigin = 'anonymous';
  video.muted = true;
  video.preload = 'auto';
  document.body.appendChild(video);
  try {
    var loaded = waitFor(video, 'canplay', 20000);
    video.src = src;
    await loaded;
    var readyStateAfterLoad = video.readyState;
    await video.play();
    var started = Date.now();
    while (video.currentTime < 0.5 && Date.now() - started < 10000) await sleep(50);
    video.pause();
    var playedTo = video.currentTime;
    var seeked = waitFor(video, 'seeked', 20000);
    video.currentTime = seekTo;
    await seeked;
    var pixel;
    try {
      var canvas = document.createElement('canvas');
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      var ctx = canvas.getContext('2d');
      ctx.drawImage(video, 0, 0);
      pixel = Array.from(ctx.getImageData(10, 10, 1, 1).data);
    } catch (e) {
      pixel = String(e);
    }
    return { error: null, readyStateAfterLoad: readyStateAfterLoad, playedTo: playedTo, duration: video.duration, videoWidth: video.videoWidth,
      seekedTo: video.currentTime, readyStateAfterSeek: video.readyState, pixel: pixel };
  } catch (e) {
    return { error: String(e), readyStateAfterLoad: video.readyState, playedTo: 0, duration: 0, videoWidth: 0, seekedTo: 0, readyStateAfterSeek: 0, pixel: '' };
  }
}
</script></body></html>`;

function playAndSeek(page: Page, src: string, seekTo: number): Promise<PlaybackReport> {
  return page.evaluate(
    ([src, seekTo]) => (globalThis as unknown as { playAndSeek(src: string, seekTo: number): Promise<PlaybackReport> }).playAndSeek(src, seekTo),
    [src, seekTo] as const,
  );
}

describe('a <video> plays and seeks a pre-signed WebM from another origin', { skip: CHROMIUM_MISSING || FFMPEG_MISSING }, () => {
  let server: TestServer;
  let proxy: CountingProxy;
  let pages: PageServer;
  let browser: TestBrowser;
  let workDir: string;
  let clip: Buffer;

  before(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'latchkey-video-'));
    clip = makeWebm(workDir);
    server = await startServer();
    proxy = await startCountingProxy(server.endpoint, { bytesPerSecond: 200_000 });
    pages = await startPageServer({ '/': PLAYER_PAGE });
    assert.equal((await signedRequest(server, { method: 'PUT', path: '/media' })).status, 200);
    const cors = `<CORSConfiguration><CORSRule><AllowedOrigin>${pages.origin}</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedMethod>HEAD</AllowedMethod>` +
      '<AllowedHeader>range</AllowedHeader><ExposeHeader>Content-Range</ExposeHeader><ExposeHeader>Accept-Ranges</ExposeHeader></CORSRule></CORSConfiguration>';
    assert.equal((await signedRequest(server, { method: 'PUT', path: '/media?cors', body: cors })).status, 200);
    const put = await signedRequest(server, { method: 'PUT', path: '/media/clip.webm', body: clip, headers: { 'content-type': 'video/webm' } });
    assert.equal(put.status, 200);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await pages?.close();
    await proxy?.close();
    await server?.stop();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  test('it loads, plays, seeks, and every byte came through Range requests answered 206 video/webm', async () => {
    const page = await browser.newPage();
    await page.goto(`${pages.origin}/`);
    // Signed for the proxy's address: it passes Host through, so the server verifies the same host the browser used.
    const src = presign({
      method: 'GET', url: `${proxy.endpoint}/media/clip.webm`, credentials: ROOT_CREDENTIALS, region: server.region, now: Date.now(), crypto: nodeCrypto, expiresIn: 600,
    }).url;
    const report = await playAndSeek(page, src, 2.2);
    assert.equal(report.error, null, JSON.stringify(report));
    assert.ok(report.readyStateAfterLoad >= 3, `readyState after canplay: ${report.readyStateAfterLoad}`); // HAVE_FUTURE_DATA
    assert.ok(report.playedTo >= 0.5, `played only to ${report.playedTo}`);
    assert.ok(Math.abs(report.duration - DURATION_S) < 0.2, `duration ${report.duration}`);
    assert.equal(report.videoWidth, 160);
    assert.ok(Math.abs(report.seekedTo - 2.2) < 0.05, `seeked to ${report.seekedTo}`);
    assert.ok(report.readyStateAfterSeek >= 2, `readyState after seek: ${report.readyStateAfterSeek}`); // HAVE_CURRENT_DATA
    assert.ok(Array.isArray(report.pixel) && report.pixel.length === 4, `canvas read failed (tainted by missing CORS?): ${String(report.pixel)}`);

    const media = proxy.seen.filter((x) => x.path.startsWith('/media/clip.webm'));
    assert.ok(media.length > 0, 'the browser fetched nothing through the proxy');
    const ranges = media.map((x) => x.requestHeaders.range);
    assert.ok(ranges.every((r) => r !== undefined && /^bytes=\d+-\d*$/.test(r)), `requests without a Range: ${JSON.stringify(ranges)}`);
    // Past the first request, the browser jumped: to the index at the end and to the seek target, each a ranged GET.
    const later = ranges.filter((r) => !/^bytes=0-/.test(r ?? ''));
    assert.ok(later.length >= 1, `no Range request past byte 0: ${JSON.stringify(ranges)}`);
    for (const x of media) {
      assert.equal(x.method, 'GET');
      assert.equal(x.status, 206, `${x.requestHeaders.range ?? 'no range'} → ${x.status}`);
      assert.equal(x.responseHeaders['content-type'], 'video/webm');
      assert.match(x.responseHeaders['content-range'] ?? '', new RegExp(`^bytes \\d+-\\d+/${clip.length}$`));
      assert.equal(x.responseHeaders['access-control-allow-origin'], pages.origin);
      assert.equal(x.requestHeaders.origin, pages.origin, 'crossorigin=anonymous media requests carry Origin');
    }
    await page.close();
  });

  test('without a CORS rule for the page, a crossorigin video refuses to load', async () => {
    assert.equal((await signedRequest(server, { method: 'DELETE', path: '/media?cors' })).status, 204);
    const page = await browser.newPage();
    await page.goto(`${pages.origin}/`);
    const src = presign({
      method: 'GET', url: `${proxy.endpoint}/media/clip.webm`, credentials: ROOT_CREDENTIALS, region: server.region, now: Date.now(), crypto: nodeCrypto, expiresIn: 600,
    }).url;
    const report = await playAndSeek(page, src, 1);
    assert.match(report.error ?? '', /media error/, JSON.stringify(report));
    await page.close();
  });
});
