/**
 * API versions (SPEC §5): every path 2_0 … 3_1 answers, each with the shapes of its version as
 * far as the reference knows them.
 */
export type Shapes = "2_1" | "2_2" | "2_3" | "2_7" | "3_1";

export interface ApiVersion {
  /** As in the path, e.g. "2_4". */
  readonly name: string;
  /** The schema it answers with, i.e. which wsdl/mktows-<shapes>.wsdl. */
  readonly shapes: Shapes;
}

const shapesByVersion: Record<string, Shapes> = {
  "2_0": "2_1",
  "2_1": "2_1",
  "2_2": "2_2",
  "2_3": "2_3",
  "2_4": "2_3",
  "2_5": "2_3",
  "2_6": "2_3",
  "2_7": "2_7",
  "2_8": "2_7",
  "2_9": "2_7",
  "3_0": "3_1",
  "3_1": "3_1",
};

export const supportedVersions: readonly ApiVersion[] = Object.entries(shapesByVersion).map(([name, shapes]) => ({ name, shapes }));

export function findVersion(name: string): ApiVersion | undefined {
  return supportedVersions.find((v) => v.name === name);
}
