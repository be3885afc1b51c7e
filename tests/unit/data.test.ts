import assert from "node:assert/strict";
import { test } from "node:test";
import { brownDocument, stripBrownTags } from "../../trainer/pipeline/brown-text";

test("strips Brown part-of-speech tags and detokenizes", () => {
  assert.equal(stripBrownTags("The/at Fulton/np-tl County/nn-tl"), "The Fulton County");
  assert.equal(
    stripBrownTags("produced/vbd ``/`` no/at evidence/nn ''/'' that/cs any/dti irregularities/nns took/vbd place/nn ./."),
    'produced "no evidence" that any irregularities took place.',
  );
  assert.equal(stripBrownTags("a/at 1-1/2/cd mile/nn ,/, (/( e.g./rb ,/, Garstung/np )/) ;/."), "a 1-1/2 mile, (e.g., Garstung);");
  assert.equal(brownDocument("\n\n\tOne/cd ./.\nTwo/cd ./.\n\n\n\tThree/cd ./.\n"), "One. Two.\nThree.");
});
