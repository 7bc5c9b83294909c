"""checks.py - the "ok - name" / "not ok - name" lines the end-to-end
scripts print, and their failure count."""


class Checks:
    def __init__(self):
        self.failed = []

    def __call__(self, name, ok):
        print(("ok - " if ok else "not ok - ") + name)
        if not ok:
            self.failed.append(name)

    def status(self):
        """0 when every check held; else prints how many failed, and 1."""
        if self.failed:
            print("%d checks failed" % len(self.failed))
            return 1
        return 0
