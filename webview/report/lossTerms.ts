/**
 * What the CLIMS/POLE loss terms logged in metrics.jsonl mean (docs/METHOD.md §1.4, POLE Eq. 5), shown
 * beside their curves: a researcher reading "cbs" should not have to open the paper.
 */
export const LOSS_FORMULA = 'loss = α·OTM + β·BTM + γ·CBS + δ·REG (weights from the run’s loss preset; METHOD §1.4)';

export const LOSS_TERMS: Record<string, string> = {
  loss: 'The weighted total: α·OTM + β·BTM + γ·CBS + δ·REG. Lower is better.',
  otm:
    'OTM, object–text matching: −log of the CLIP cosine between the CAM-masked object and its prompt ' +
    '(the class word, or POLE’s selected word). Falls as the CAM covers the object.',
  btm:
    'BTM, background–text mismatching: −log(1 − cosine) between the image outside the CAM and the prompt. ' +
    'Falls as the object leaves the background, i.e. the CAM covers the whole object.',
  cbs:
    'CBS, co-occurring background suppression: −log(1 − cosine) between the masked object and background ' +
    'words (water, railroad, tree…) above a threshold. Keeps CAMs off backgrounds that co-occur with a class.',
  reg: 'REG, area regulariser: the mean activation of the CAMs. Keeps them from spreading over everything.',
};

/** The explanation of a metric name, if it is a loss term. */
export function lossTermNote(name: string): string | undefined {
  return LOSS_TERMS[name.toLowerCase()];
}
