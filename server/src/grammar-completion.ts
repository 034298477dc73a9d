// Grammar-driven completion (elements, attributes and enumerated values the RelaxNG grammar
// allows at the cursor). The engine behind it lives in compiler/src/schema.
import type { CompletionItem } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { CursorContext } from './xml-scan.js';

export interface GrammarCompletion {
  complete(doc: TextDocument, offset: number, ctx: CursorContext): CompletionItem[];
}
