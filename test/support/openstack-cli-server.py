"""The real openstack CLI, imported once and forked for every command.

Each `openstack` process spends most of its time importing openstackclient, keystoneauth,
openstacksdk and the command plugins before it sends a single request; the conformance
tests run over a thousand commands. This server pays the imports once, then forks a child
per command: the child gets the command's environment, working directory and argv, runs
openstackclient's own `main()` exactly as /usr/bin/openstack does, and exits with its code.
Every command still runs in a process of its own (no state is shared between commands:
the parent never runs one), so the CLI behaves as when it is executed.

Protocol (one JSON object per line):
  stdin   {"id": N, "argv": [...], "env": {...}, "cwd": "..."}
  stdout  {"id": N, "pid": P}                 when the child is forked
          {"id": N, "code": C, "stdout": "...", "stderr": "..."} when it has exited
Commands run concurrently; children are reaped through pidfds, so no thread is needed.
"""

import json
import os
import selectors
import sys
import tempfile

from openstackclient import shell


def preload():
    # The plugins' command modules are imported lazily by each command; importing them
    # here moves that cost out of every child. A module that fails to import is left to
    # fail in the child as it would in a plain run.
    from importlib.metadata import distributions

    for ep in (ep for dist in distributions() for ep in dist.entry_points):
        if ep.group.startswith('openstack.') and ep.group != 'openstack.cli.extension':
            try:
                ep.load()
            except Exception:  # noqa: BLE001 - see above
                pass
    import keystoneauth1.loading  # noqa: F401
    import openstack.connection  # noqa: F401

    # Two lookups every command repeats and keeps in module-level caches: the map of
    # modules to distributions (cliff, for each command's help epilog) and the entry-point
    # table (stevedore). Filling them here fills them for every child.
    from cliff import command
    from stevedore import _cache

    command._get_distributions_by_modules()
    _cache._c.get_group_all('openstack.cli')


def run_child(request, out_path, err_path):
    out = os.open(out_path, os.O_WRONLY)
    err = os.open(err_path, os.O_WRONLY)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(out, 1)
    os.dup2(err, 2)
    os.environ.clear()
    os.environ.update(request.get('env') or {})
    if request.get('cwd'):
        os.chdir(request['cwd'])
    sys.argv = ['openstack', *request['argv']]
    code = 1
    try:
        code = shell.main(request['argv'])
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except BaseException:  # noqa: BLE001 - report like an uncaught error at top level
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code if isinstance(code, int) else 1)


def reply(message):
    sys.__stdout__.write(json.dumps(message) + '\n')
    sys.__stdout__.flush()


def start(request, sel, running):
    fd_out, out_path = tempfile.mkstemp(prefix='osc-out-')
    fd_err, err_path = tempfile.mkstemp(prefix='osc-err-')
    os.close(fd_out)
    os.close(fd_err)
    pid = os.fork()
    if pid == 0:
        sel.close()
        run_child(request, out_path, err_path)
    pidfd = os.pidfd_open(pid)
    running[pidfd] = (request['id'], pid, out_path, err_path)
    sel.register(pidfd, selectors.EVENT_READ, 'child')
    reply({'id': request['id'], 'pid': pid})


def main():
    preload()
    sel = selectors.DefaultSelector()
    sel.register(0, selectors.EVENT_READ, None)
    running = {}
    pending = b''
    reply({'ready': True})
    while True:
        for key, _ in sel.select():
            if key.data is None:
                # Raw reads: a buffered readline could hold a second request unseen by select.
                chunk = os.read(0, 1 << 16)
                if not chunk:
                    return
                pending += chunk
                *lines, pending = pending.split(b'\n')
                for line in lines:
                    if line.strip():
                        start(json.loads(line), sel, running)
            else:
                pidfd = key.fd
                sel.unregister(pidfd)
                request_id, pid, out_path, err_path = running.pop(pidfd)
                os.close(pidfd)
                _, status = os.waitpid(pid, 0)
                code = os.waitstatus_to_exitcode(status)
                with open(out_path, encoding='utf-8', errors='replace') as f:
                    stdout = f.read()
                with open(err_path, encoding='utf-8', errors='replace') as f:
                    stderr = f.read()
                os.unlink(out_path)
                os.unlink(err_path)
                reply({'id': request_id, 'code': code, 'stdout': stdout, 'stderr': stderr})


if __name__ == '__main__':
    main()
