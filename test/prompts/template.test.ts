// Templates: checking a definition, rendering it on a record, and the registry a notebook cell adds to.
import assert from "node:assert/strict";
import { defineTemplate, getTemplate, listTemplates, removeTemplate, templateTable } from "../../src/prompts/registry";
import {
  checkTemplate,
  placeholders,
  renderTemplate,
  TemplateRenderError,
  type TemplateSpec,
} from "../../src/prompts/template";

const verdict: TemplateSpec = {
  id: "test-verdict",
  task: "sentiment-classification",
  instruction: "{{ text }}\nVerdict:",
  completion: "{{answer}}",
  answerField: "label",
  answerChoices: ["negative", "positive"],
  metric: "accuracy",
  originalTask: true,
};

describe("prompt templates", () => {
  afterEach(() => {
    for (const id of ["test-verdict", "test-product", "test-own-column"]) removeTemplate(id);
  });

  it("finds placeholders with or without spaces inside the braces, each once", () => {
    assert.deepEqual(placeholders("{{text}} and {{ rating }} and {{text}}"), ["text", "rating"]);
  });

  it("renders with one space before the completion and trimmed values", () => {
    const t = checkTemplate(verdict);
    assert.deepEqual(renderTemplate(t, { sourceId: "x:1", text: "  Loved it.\n", label: "positive" }), {
      prompt: "Loved it.\nVerdict:",
      completion: " positive",
    });
    assert.equal(t.collection, "user");
    assert.deepEqual(t.fields, ["text", "label"]);
    assert.ok(Object.isFrozen(t));
  });

  it("names the template, the record and the field when a field is missing, empty or outside the choices", () => {
    const t = checkTemplate(verdict);
    assert.throws(
      () => renderTemplate(t, { sourceId: "x:2", label: "positive" }),
      (err: unknown) => {
        assert.ok(err instanceof TemplateRenderError);
        assert.equal(err.templateId, "test-verdict");
        assert.equal(err.sourceId, "x:2");
        assert.equal(err.field, "text");
        assert.equal(
          err.message,
          'Template "test-verdict" on record x:2: the record has no field "text" (its fields: sourceId, label). ' +
            "This template needs text, label; pick templates whose fields your data has (listTemplates({ fields: [...] })).",
        );
        return true;
      },
    );
    assert.throws(
      () => renderTemplate(t, { sourceId: "x:3", text: "   ", label: "positive" }),
      /Template "test-verdict" on record x:3: the field "text" is empty\. Leave such records out, or build the dataset with \{ skipUnrenderable: true \}\./,
    );
    assert.throws(
      () => renderTemplate(t, { sourceId: "x:4", text: "Meh.", label: "neutral" }),
      /Template "test-verdict" on record x:4: its label "neutral" is not one of the answer choices \(negative, positive\)\./,
    );
    assert.throws(() => renderTemplate(t, { text: "Meh.", label: "neutral" }), /on record \(no sourceId\)/);
  });

  it("refuses a bad definition with a message naming the template and what to fix", () => {
    const bad = (patch: Record<string, unknown>) => () => checkTemplate({ ...verdict, ...patch } as TemplateSpec);
    assert.throws(
      bad({ instruction: "{{txt}}\nVerdict:" }),
      /^Error: Template "test-verdict": unknown placeholder \{\{txt\}\} in the instruction \(did you mean "text"\?\)\. Placeholders name a field: text, label, rating, title, product, category, domain, or \{\{answer\}\} in the completion; for a column of your own data, list it in extraFields\.$/,
    );
    assert.throws(
      bad({ instruction: "{{text}\nVerdict:" }),
      /instruction has a malformed placeholder near "\{\{text\}\\nVerdict:"; write \{\{field\}\}\./,
    );
    assert.throws(bad({ instruction: "{{text}}\nVerdict: " }), /instruction ends with whitespace/);
    assert.throws(
      bad({ completion: " {{answer}}" }),
      /completion starts with whitespace; the renderer adds exactly one space before it\./,
    );
    assert.throws(
      bad({ instruction: "{{text}} {{answer}}" }),
      /\{\{answer\}\} in the instruction would give the answer away/,
    );
    assert.throws(
      bad({ answerField: undefined }),
      /the completion uses \{\{answer\}\}; say which record field it comes from in answerField/,
    );
    assert.throws(bad({ answerChoices: undefined }), /metric "accuracy" needs answerChoices/);
    assert.throws(bad({ answerChoices: ["yes", "yes"] }), /answerChoices lists an answer twice/);
    assert.throws(
      bad({ answerChoices: ["yes ", "no"] }),
      /answerChoices: "yes " must be text without spaces at its ends/,
    );
    assert.throws(
      bad({ answerMap: { positive: "yes" } }),
      /answerMap sends "positive" to "yes", which is not one of answerChoices \(negative, positive\)/,
    );
    assert.throws(bad({ answerField: "stars" }), /answerField "stars" is not a field/);
    assert.throws(bad({ metric: "bleu" }), /metric must be one of accuracy, judge, rouge-l, none, got "bleu"/);
    assert.throws(bad({ originalTask: "yes" }), /originalTask must be true or false/);
    assert.throws(bad({ id: "My Template" }), /id must be lowercase letters/);
    assert.throws(bad({ instrution: "x" }), /unknown field "instrution" \(did you mean "instruction"\?\)/);
    assert.throws(
      bad({ completion: "{{text}}", metric: "none", answerChoices: undefined }),
      /answerField and answerMap are only used by \{\{answer\}\}/,
    );
  });

  it("accepts a column of the user's own data listed in extraFields", () => {
    const t = defineTemplate({
      id: "test-own-column",
      task: "review-generation",
      instruction: "Write a review of {{brand}}.",
      completion: "{{text}}",
      metric: "none",
      originalTask: false,
      extraFields: ["brand"],
    });
    assert.deepEqual(renderTemplate(t, { sourceId: "b:1", brand: "Acme", text: "Solid." }), {
      prompt: "Write a review of Acme.",
      completion: " Solid.",
    });
  });

  it("registers a user's template, lists it by task, and takes a re-run cell's identical definition", () => {
    const t = defineTemplate(verdict);
    assert.equal(getTemplate("test-verdict"), t);
    assert.equal(defineTemplate({ ...verdict }), t, "the same definition again (a re-run cell) is accepted");
    assert.ok(listTemplates({ task: "sentiment-classification" }).some((x) => x.id === "test-verdict"));
    assert.ok(!listTemplates({ task: "rating-prediction" }).some((x) => x.id === "test-verdict"));
    assert.deepEqual(
      listTemplates({ collection: "user" }).map((x) => x.id),
      ["test-verdict"],
    );
    assert.deepEqual(templateTable([t]), [
      {
        id: "test-verdict",
        collection: "user",
        task: "sentiment-classification",
        instruction: "{{ text }}⏎Verdict:",
        completion: "{{answer}}",
        fields: "text, label",
        answers: "negative / positive",
        metric: "accuracy",
        original: "yes",
      },
    ]);
  });

  it("refuses a different template under a taken id unless asked to replace it", () => {
    defineTemplate(verdict);
    const changed = { ...verdict, instruction: "{{text}}\nIs it good?" };
    assert.throws(
      () => defineTemplate(changed),
      /^Error: Template "test-verdict": the id is taken by a user template \(task sentiment-classification\)\. Choose another id, or pass \{ replace: true \} to replace it\.$/,
    );
    assert.throws(
      () =>
        defineTemplate({
          ...getTemplate("sentiment-classify"),
          instruction: "Classify: {{text}}\nSentiment:",
        } as unknown as TemplateSpec),
      /unknown field "fields"/,
    );
    const { fields: _f, ...shippedSpec } = getTemplate("sentiment-classify");
    assert.throws(
      () => defineTemplate({ ...shippedSpec, instruction: "Classify: {{text}}\nSentiment:" }),
      /the id is taken by a sentiment template/,
    );
    const replaced = defineTemplate(changed, { replace: true });
    assert.equal(getTemplate("test-verdict").instruction, "{{text}}\nIs it good?");
    assert.equal(replaced.instruction, "{{text}}\nIs it good?");
  });

  it("names the known ids when asked for an unknown one", () => {
    assert.throws(
      () => getTemplate("sentiment-clasify"),
      /^Error: No template "sentiment-clasify" \(did you mean "sentiment-classify"\?\)\. The templates are: sentiment-classify, /,
    );
  });

  it("maps a record value to an answer choice and checks the value is mapped", () => {
    const t = defineTemplate({
      ...verdict,
      id: "test-product",
      completion: "{{answer}}",
      answerMap: { negative: "bad", positive: "good" },
      answerChoices: ["bad", "good"],
    });
    assert.equal(renderTemplate(t, { sourceId: "p:1", text: "Fine.", label: "negative" }).completion, " bad");
    assert.throws(
      () => renderTemplate(t, { sourceId: "p:2", text: "Fine.", label: "meh" }),
      /its label "meh" is not one of the answer choices \(negative, positive\)/,
    );
  });
});
