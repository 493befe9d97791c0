/// The dashboard's one stylesheet, served from the binary at `/ui/style.css`: no fonts, images or
/// scripts to fetch.
enum DashboardStyle {
    static let css = """
        :root { color-scheme: light dark; --muted: #6b7280; --line: #d1d5db; --ok: #15803d; --bad: #b91c1c; \
        --warn: #b45309; --accent: #1d4ed8; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 15px/1.45 system-ui, sans-serif; }
        header { display: flex; gap: 1.5rem; align-items: center; padding: .6rem 1.2rem; border-bottom: 1px solid var(--line); }
        header nav { display: flex; gap: 1rem; }
        header nav a { text-decoration: none; color: inherit; }
        header nav a[aria-current] { font-weight: 600; border-bottom: 2px solid var(--accent); }
        .who { margin-left: auto; color: var(--muted); }
        main { padding: 1rem 1.2rem; max-width: 80rem; }
        h1 { font-size: 1.3rem; margin: .2rem 0 1rem; }
        h2 { font-size: 1.05rem; margin: 1.4rem 0 .5rem; }
        table { border-collapse: collapse; width: 100%; margin-bottom: 1rem; }
        th, td { text-align: left; padding: .3rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
        th { font-weight: 600; color: var(--muted); font-size: .85rem; }
        code { font-size: .85rem; }
        .tag { display: inline-block; padding: 0 .35rem; margin: 0 .2rem .1rem 0; border: 1px solid var(--line); \
        border-radius: .3rem; font-size: .85rem; }
        .ok { color: var(--ok); } .bad { color: var(--bad); } .warn { color: var(--warn); } .muted { color: var(--muted); }
        .current { font-weight: 700; text-decoration: underline; }
        form.inline { display: inline; margin: 0; }
        button { font: inherit; padding: .15rem .6rem; margin-right: .3rem; cursor: pointer; }
        .signin { max-width: 26rem; margin: 4rem auto; }
        .signin input[type=password] { width: 100%; font: inherit; padding: .4rem; margin: .5rem 0 1rem; }
        .error { color: var(--bad); }
        .charts { display: flex; flex-wrap: wrap; gap: 0 2rem; }
        svg.chart { max-width: 30rem; width: 100%; height: auto; display: block; margin: .3rem 0 1rem; }
        svg.chart text { font: 11px system-ui, sans-serif; fill: currentColor; }
        svg.chart .axis { stroke: var(--line); }
        """
}
