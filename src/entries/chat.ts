/**
 * `npm run chat`: the conversation in a terminal, in-process with the bot and the lowdb store under
 * DATA_DIR. Commands: `/user <name>` switches the speaker, `/chat <id>` the chat, `/1`, `/2`… press the
 * last card's buttons, `/quit` ends. Files (the report) are saved under DATA_DIR/files and their path
 * printed. Options: `npm run chat -- --chat <id> --user <name>`.
 *
 * Do not run it on the DATA_DIR of a running server: two processes would write the same files.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Button, ButtonAction, InboundMessage, Reply } from '../core/messages';
import { serverText } from '../core/locale/zh-CN';
import { createBot } from '../app/bot';
import { openConfiguredStore } from './serve';
import { assistantDeps } from '../app/assistant';
import { createConsoleLogger } from '../app/ports';

const T = serverText.terminal;

/** Reads `--name value` from argv. */
function readOption(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}

/** A user id for a display name, stable across runs. */
function toUserId(name: string): string {
  return `term-${name}`;
}

/** A file name safe to write: no directories, no control characters. */
function toSafeFileName(name: string): string {
  return name.replace(/[\\/\x00-\x1f:*?"<>|]/g, '_').replace(/^\.+/, '_') || 'file';
}

async function main(): Promise<void> {
  const { config, store } = await openConfiguredStore();
  const bot = createBot({ store, holdIdleMs: config.QUESTION_HOLD_SECONDS * 1000, ...assistantDeps(config, createConsoleLogger()) });
  const argv = process.argv.slice(2);
  let chatId = readOption(argv, 'chat') ?? 'terminal';
  let userName = readOption(argv, 'user') ?? serverText.console.defaultUsers[0];
  let buttons: Button[] = [];

  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY === true });
  const prompt = () => {
    if (process.stdin.isTTY) {
      rl.setPrompt(T.prompt(userName));
      rl.prompt();
    }
  };

  const print = async (replies: Reply[]) => {
    buttons = [];
    for (const r of replies) {
      if (r.kind === 'file') {
        const dir = join(config.DATA_DIR, 'files');
        await mkdir(dir, { recursive: true });
        const path = resolve(dir, toSafeFileName(r.name));
        await writeFile(path, r.bytes);
        console.log(T.fileSaved(r.name, path));
        continue;
      }
      if (r.kind === 'card') console.log(`【${r.title}】`);
      console.log(r.text);
      if (r.kind === 'card' && r.buttons?.length) {
        const offset = buttons.length;
        buttons.push(...r.buttons);
        console.log(r.buttons.map((b, i) => `[/${offset + i + 1}] ${b.label}`).join('  '));
      }
      if (r.question?.unit) console.log(`（${serverText.console.unitLabel}：${r.question.unit}）`);
    }
    console.log('');
  };

  const send = async (input: { text?: string; action?: ButtonAction }) => {
    const msg: InboundMessage = {
      channel: 'local',
      chatId,
      chatType: 'group',
      userId: toUserId(userName),
      userName,
      receivedAt: Date.now(),
      ...input,
    };
    try {
      const result = await bot.handle(msg);
      const pressed = result.pressed;
      await print(pressed && !pressed.ok && !result.replies.length ? [{ kind: 'text', text: pressed.toast }] : result.replies);
    } catch (err) {
      console.log(T.error(err instanceof Error ? err.message : String(err)));
    }
  };

  console.log(T.welcome(chatId, userName));
  prompt();
  for await (const raw of rl) {
    const line = raw.trim();
    if (!line) {
      prompt();
      continue;
    }
    if (line === '/quit' || line === '/exit') break;
    if (line === '/help') console.log(T.help);
    else if (line.startsWith('/user ')) {
      userName = line.slice('/user '.length).trim() || userName;
      console.log(T.switchedUser(userName));
    } else if (line.startsWith('/chat ')) {
      chatId = line.slice('/chat '.length).trim() || chatId;
      buttons = [];
      console.log(T.switchedChat(chatId));
    } else if (/^\/\d+$/.test(line)) {
      const n = Number(line.slice(1));
      const button = buttons[n - 1];
      if (!button) console.log(T.noSuchButton(n));
      else {
        console.log(`［${button.label}］`);
        await send({ action: button.action });
      }
    } else await send({ text: line });
    prompt();
  }
  console.log(T.bye);
  rl.close();
  await store.close();
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
