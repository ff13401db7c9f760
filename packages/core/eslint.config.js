import shared from '@mpmetrics/eslint-config';
import { layerImportRules } from './source-layers.mjs';

export default [...shared, ...layerImportRules()];
