// The HTML report: a self-contained page with the score and counts, the list of differences, and both
// documents side by side with changed words highlighted; recognized pages also show the page image with
// boxes around the changed words.
import type { Comparison, Difference } from "./compare.ts";
import type { DocumentText } from "./document.ts";
import { encodePng } from "./image.ts";
import type { TokenizedDocument } from "./normalize.ts";
import { formatDifference } from "./report-text.ts";

const escapeHtml = (s: string) =>
  s.replace(
    /[&<>"']/gu,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string,
  );

const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.3em} table.sum td{padding:.1em .8em .1em 0}
.cols{display:grid;grid-template-columns:1fr 1fr;gap:1.5em;align-items:start}
.doc h2{font-size:1.05em;word-break:break-all}
.page{border:1px solid #ccc;padding:.6em;margin-bottom:1em;background:#fff}
.page h3{font-size:.85em;color:#666;margin:0 0 .4em}
.line{white-space:pre-wrap;font-family:ui-monospace,monospace;font-size:13px}
.line .n{color:#aaa;user-select:none;display:inline-block;width:3.2em}
del{background:#fdd;color:#900;text-decoration:line-through}
ins{background:#dfd;color:#060;text-decoration:none}
.sig{outline:2px solid #e80}
ol.diffs{font-family:ui-monospace,monospace;font-size:12px}
.scan{position:relative;margin-bottom:.6em}
.scan img,.scan svg{width:100%;display:block}
.scan svg{position:absolute;left:0;top:0;height:100%}
`;

/** For each token index, the difference it belongs to. */
function tokenDifferences(
  diffs: readonly Difference[],
  side: "originalTokens" | "copyTokens",
): Map<number, Difference> {
  const map = new Map<number, Difference>();
  for (const d of diffs) for (let i = d[side][0]; i < d[side][1]; i++) map.set(i, d);
  return map;
}

function renderLine(
  text: string,
  first: number,
  count: number,
  tokenized: TokenizedDocument,
  marks: Map<number, Difference>,
  tag: "del" | "ins",
): string {
  let html = "";
  let cursor = 0;
  for (let k = first; k < first + count; k++) {
    const token = tokenized.tokens[k];
    const d = marks.get(k);
    if (!token || !d) continue;
    html += escapeHtml(text.slice(cursor, token.start));
    const sig =
      d.category === "amount" || d.category === "date" || d.category === "number" ? ' class="sig"' : "";
    html += `<${tag}${sig} title="#${d.id} ${d.category}">${escapeHtml(token.text)}</${tag}>`;
    cursor = token.end;
  }
  return html + escapeHtml(text.slice(cursor));
}

async function renderDocument(
  doc: DocumentText,
  tokenized: TokenizedDocument,
  marks: Map<number, Difference>,
  tag: "del" | "ins",
  title: string,
): Promise<string> {
  const parts = [`<div class="doc"><h2>${escapeHtml(title)}: ${escapeHtml(doc.file)}</h2>`];
  let lineIndex = 0;
  for (const page of doc.pages) {
    parts.push(
      `<div class="page"><h3>page ${page.number} · ${page.source}${page.skewDegrees ? ` · deskewed ${page.skewDegrees}°` : ""}</h3>`,
    );
    const pageLines = tokenized.lines.slice(lineIndex, lineIndex + page.lines.length);
    lineIndex += page.lines.length;
    if (page.image) {
      // Boxes of recognized words that hold a changed token.
      const boxes: string[] = [];
      pageLines.forEach((line, i) => {
        const words = page.lines[i]?.words ?? [];
        const starts: number[] = [];
        let offset = 0;
        for (const w of words) {
          starts.push(offset);
          offset += w.text.length + 1;
        }
        for (let k = line.firstToken; k < line.firstToken + line.tokenCount; k++) {
          const d = marks.get(k);
          const token = tokenized.tokens[k];
          if (!d || !token) continue;
          let w = 0;
          while (w + 1 < starts.length && (starts[w + 1] as number) <= token.start) w++;
          const box = words[w]?.box;
          if (box) {
            const colour = tag === "del" ? "#d00" : "#080";
            boxes.push(
              `<rect x="${box.x}" y="${box.y}" width="${box.width}" height="${box.height}" fill="none" stroke="${colour}" stroke-width="3"><title>#${d.id}</title></rect>`,
            );
          }
        }
      });
      const png = (await encodePng(page.image)).toString("base64");
      parts.push(
        `<div class="scan"><img alt="page ${page.number}" src="data:image/png;base64,${png}"><svg viewBox="0 0 ${page.image.width} ${page.image.height}" preserveAspectRatio="none">${boxes.join("")}</svg></div>`,
      );
    }
    for (const line of pageLines) {
      parts.push(
        `<div class="line"><span class="n">${line.line}</span>${renderLine(line.text, line.firstToken, line.tokenCount, tokenized, marks, tag)}</div>`,
      );
    }
    parts.push("</div>");
  }
  parts.push("</div>");
  return parts.join("\n");
}

export async function formatHtmlReport(
  comparison: Comparison,
  original: DocumentText,
  copy: DocumentText,
): Promise<string> {
  const r = comparison.report;
  const diffs = r.differences;
  const summary = [
    ["similarity", `${(100 * r.similarity).toFixed(2)}%`],
    [
      "words",
      `${r.words.replaced} replaced, ${r.words.inserted} inserted, ${r.words.deleted} deleted, ${r.words.unchanged} unchanged`,
    ],
    [
      "characters",
      `${r.characters.replaced} replaced, ${r.characters.inserted} inserted, ${r.characters.deleted} deleted`,
    ],
    ["significant (amounts, dates, numbers)", String(r.significant)],
    [
      "differences",
      Object.entries(r.byCategory)
        .map(([k, n]) => `${k} ${n}`)
        .join(", "),
    ],
  ];
  const left = await renderDocument(
    original,
    comparison.originalTokens,
    tokenDifferences(diffs, "originalTokens"),
    "del",
    "original",
  );
  const right = await renderDocument(
    copy,
    comparison.copyTokens,
    tokenDifferences(diffs, "copyTokens"),
    "ins",
    "copy",
  );
  return `<!doctype html>
<html lang="ru"><head><meta charset="utf-8"><title>ocrflow compare</title><style>${STYLE}</style></head>
<body>
<h1>${escapeHtml(r.original.file)} ↔ ${escapeHtml(r.copy.file)}</h1>
<table class="sum">${summary.map(([k, v]) => `<tr><td>${escapeHtml(k as string)}</td><td><b>${escapeHtml(v as string)}</b></td></tr>`).join("")}</table>
<ol class="diffs">${diffs.map((d) => `<li${d.category === "amount" || d.category === "date" || d.category === "number" ? ' class="sig"' : ""}>${escapeHtml(formatDifference(d))}</li>`).join("\n")}</ol>
<div class="cols">
${left}
${right}
</div>
</body></html>
`;
}
