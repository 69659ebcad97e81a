export type { CostQuery, CostResult } from './calculate-cost.ts';
export { calculateCost } from './calculate-cost.ts';
export { countPromptTokens, countTextTokens } from './count-prompt-tokens.ts';
export type { CallCostEstimate } from './estimate-call-cost.ts';
export { defaultEstimateOutputTokens, estimateCallCost } from './estimate-call-cost.ts';
export type { CatalogModel } from './list-catalog-models.ts';
export { listCatalogModels } from './list-catalog-models.ts';
export type { PriceOverride } from './price-override.ts';
export { findPriceOverride } from './price-override.ts';
