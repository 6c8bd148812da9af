import MarkdownIt from 'markdown-it';

/**
 * Postmortems are Markdown; the report renders them with markdown-it. Raw HTML in the Markdown is
 * escaped, never passed through (`html: false`), so nothing a postmortem says can add markup or
 * script to the page; markdown-it also refuses `javascript:` and similar links.
 */
const markdown = new MarkdownIt({ html: false, linkify: false, typographer: false });

/** The Markdown as HTML, its headings moved down `shift` levels to sit under the page's own. */
export function renderMarkdown(md: string, shift = 2): string {
  const tokens = markdown.parse(md, {});
  for (const token of tokens) {
    if (token.type === 'heading_open' || token.type === 'heading_close') {
      token.tag = `h${Math.min(6, Number(token.tag.slice(1)) + shift)}`;
    }
  }
  return markdown.renderer.render(tokens, markdown.options, {});
}
